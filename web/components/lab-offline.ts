// <lab-offline>: says plainly whether this browser can run the lab without a
// network, offers "Make available offline" (total size, progress in bytes,
// result), and shows storage use and whether the browser keeps it. Also tells
// the learner when a new guest build replaced the offline copy.
//
// Properties down: `guestBase` (absolute URL of the guest folder), `phase` (the
// VM's phase; a change re-reads the cache, which the VM fills as it runs),
// `prefetch` (the VM's background fetch of the disk parts Docker's first commands read).
// The host attribute `state` is one of checking, unavailable, not-ready,
// downloading, ready (for styling and tests).

import { LitElement, css, html, nothing } from 'lit';
import type { BootPhase, DiskPrefetchProgress } from '../../workers/protocol';
import { OfflineController } from '../offline/offline-controller';

const MB = 1024 * 1024;
const mb = (bytes: number) => (bytes / MB).toFixed(bytes < 10 * MB ? 1 : 0);

export class LabOffline extends LitElement {
  static override styles = css`
    :host {
      display: block;
      padding: 0.375rem 0.75rem;
      background: #f9fafb;
      border-top: 1px solid #e5e7eb;
      font: 0.8125rem/1.45 system-ui, sans-serif;
      color: #111827;
    }
    .row {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 0.375rem 0.75rem;
    }
    .badge {
      font-weight: 600;
      white-space: nowrap;
    }
    :host([state='ready']) .badge {
      color: #047857;
    }
    :host([state='unavailable']) .badge {
      color: #6b7280;
    }
    .summary {
      flex: 1 1 14rem;
      color: #374151;
    }
    progress {
      width: 8rem;
    }
    button {
      font: inherit;
      padding: 0.15rem 0.6rem;
      border: 1px solid #9ca3af;
      border-radius: 4px;
      background: #fff;
      cursor: pointer;
    }
    button:disabled {
      opacity: 0.5;
      cursor: default;
    }
    button:focus-visible {
      outline: 2px solid #2563eb;
      outline-offset: 2px;
    }
    p {
      margin: 0.25rem 0 0;
    }
    .failed {
      color: #b91c1c;
    }
    .notice {
      margin-top: 0.375rem;
      padding: 0.375rem 0.5rem;
      border-radius: 4px;
      display: flex;
      flex-wrap: wrap;
      gap: 0.5rem;
      align-items: center;
    }
    .notice p {
      margin: 0;
      flex: 1 1 18rem;
    }
    .warn {
      background: #fffbeb;
      color: #78350f;
    }
    .info {
      background: #eff6ff;
      color: #1e3a8a;
    }
  `;

  static override properties = {
    guestBase: { attribute: false },
    phase: { attribute: false },
    prefetch: { attribute: false },
    state: { reflect: true },
  };

  declare guestBase: string;
  declare phase: BootPhase | undefined;
  declare prefetch: DiskPrefetchProgress | null;
  /** Reflected: checking, unavailable, not-ready, downloading or ready. */
  declare state: string;

  private readonly offline = new OfflineController(this, () => this.guestBase);

  constructor() {
    super();
    this.guestBase = new URL('guest/', document.baseURI).href;
    this.phase = undefined;
    this.prefetch = null;
    this.state = 'checking';
  }

  protected override willUpdate(changed: Map<string, unknown>): void {
    // The VM caches the parts it reads as it boots and runs; re-count when it settles.
    if (changed.has('phase') && changed.get('phase') !== undefined) void this.offline.refresh();
    // ...and once the background prefetch has put its parts in.
    const before = changed.get('prefetch') as DiskPrefetchProgress | null | undefined;
    if (changed.has('prefetch') && before && this.prefetch && before.done < before.parts && this.prefetch.done === this.prefetch.parts) void this.offline.refresh();
    const o = this.offline;
    this.state = o.unavailable
      ? 'unavailable'
      : o.download.kind === 'running'
        ? 'downloading'
        : o.readyOffline
          ? 'ready'
          : o.guest || o.manifestError
            ? 'not-ready'
            : 'checking';
  }

  override render() {
    return html`
      <div class="row">
        <span class="badge" role="status">${this.badge()}</span>
        <span class="summary">${this.summary()}</span>
        ${this.action()}
      </div>
      ${this.prefetchLine()} ${this.result()} ${this.storageLine()} ${this.replacedNotice()} ${this.updateNotice()}
    `;
  }

  private badge(): string {
    switch (this.state) {
      case 'ready':
        return 'Ready offline';
      case 'unavailable':
        return 'No offline copy';
      case 'downloading':
        return 'Making available offline…';
      case 'checking':
        return 'Checking offline copy…';
      default:
        return 'Not ready offline';
    }
  }

  private summary() {
    const o = this.offline;
    if (o.unavailable) return o.unavailable;
    if (o.download.kind === 'running') {
      const p = o.download.progress;
      return html`<progress max=${p.totalBytes} value=${p.doneBytes} aria-label="Offline download progress"></progress>
        <span data-bytes>${mb(p.doneBytes)} of ${mb(p.totalBytes)} MB</span> (${p.doneFiles} of ${p.totalFiles} files)`;
    }
    if (!o.guest) return o.manifestError ?? '';
    const g = o.guest;
    if (o.readyOffline) {
      return `Every lesson runs in this browser without a network: ${g.totalFiles} files, ${mb(g.totalBytes)} MB (lab machine ${g.buildId}).`;
    }
    const shell = o.appShellCached ? '' : ' The app itself is still being set up for offline use.';
    return `${g.cachedFiles} of ${g.totalFiles} lab machine files are in this browser (about ${mb(g.cachedBytes)} of ${mb(g.totalBytes)} MB).${shell}`;
  }

  private action() {
    const o = this.offline;
    if (o.unavailable) return nothing;
    if (o.download.kind === 'running') return html`<button @click=${() => o.cancel()}>Stop</button>`;
    if (o.readyOffline || !o.guest) return nothing;
    const remaining = Math.max(0, o.guest.totalBytes - o.guest.cachedBytes);
    return html`<button ?disabled=${!o.appShellCached} @click=${() => void o.makeAvailableOffline()}>
      Make available offline (${mb(remaining)} MB)
    </button>`;
  }

  private result() {
    const d = this.offline.download;
    if (d.kind === 'done') {
      const r = d.result;
      return html`<p data-result="done">
        Available offline: ${r.totalFiles} files, ${mb(r.totalBytes)} MB (${mb(r.fetchedBytes)} MB downloaded now) in
        ${(r.ms / 1000).toFixed(1)} s.
      </p>`;
    }
    if (d.kind === 'failed') return html`<p class="failed" data-result="failed" role="alert">${d.error}</p>`;
    return nothing;
  }

  /** Said while it runs, since it uses the learner's connection; and when it gave up. */
  private prefetchLine() {
    const p = this.prefetch;
    if (!p || this.offline.readyOffline || this.offline.download.kind === 'running') return nothing;
    if (p.stoppedBy && p.stoppedBy !== 'stopped') {
      return html`<p data-prefetch="stopped">Fetching ahead what Docker's first commands read stopped (${p.stoppedBy}); they fetch it themselves when they need it.</p>`;
    }
    if (p.done >= p.parts) return nothing;
    return html`<p data-prefetch="running">
      Fetching ahead, in the background, what Docker's first commands read: ${p.done} of ${p.parts} disk parts
      (${mb(p.fetchedBytes)} MB so far).
    </p>`;
  }

  private storageLine() {
    const s = this.offline.storage;
    if (!s || s.usage === null || s.quota === null) return nothing;
    const kept =
      s.persisted === true
        ? 'kept until you clear it (persistent storage granted).'
        : 'the browser may clear it if the disk runs low (persistent storage not granted).';
    return html`<p data-storage>
      Storage: ${mb(s.usage)} MB used of ${mb(s.quota)} MB; ${kept}
      ${s.persisted === false ? html`<button @click=${() => void this.offline.keepStorage()}>Ask to keep it</button>` : nothing}
    </p>`;
  }

  private replacedNotice() {
    const r = this.offline.replaced;
    if (!r) return nothing;
    return html`<div class="notice warn" data-notice="guest-replaced" role="alert">
      <p>
        The lab machine was updated (${r.from} → ${r.to}) on ${new Date(r.at).toLocaleString()}. The offline copy of the old
        version (${r.removedFiles} files) was removed; make the lab available offline again to work without a network. Work
        saved with the old version stays in this browser and can still be exported.
      </p>
      <button @click=${() => void this.offline.dismissReplaced()}>OK</button>
    </div>`;
  }

  private updateNotice() {
    if (!this.offline.updateWaiting) return nothing;
    return html`<div class="notice info" data-notice="app-update">
      <p>A new version of the lab app is ready. Save your work, then reload to use it.</p>
      <button @click=${() => this.offline.applyUpdate()}>Reload</button>
    </div>`;
  }
}

customElements.define('lab-offline', LabOffline);

declare global {
  interface HTMLElementTagNameMap {
    'lab-offline': LabOffline;
  }
}
