// <lab-status-bar>: boot progress, VM state and the lab's actions.
// Actions go up as events: lab-save, lab-reset, lab-export, lab-import.

import { LitElement, css, html } from 'lit';
import type { BootPhase, BootProgress, StartSource, VmStatus } from '../../workers/protocol';
import { savedAgo } from '../saved-ago';

const PHASE_TEXT: Record<BootPhase, string> = {
  idle: 'Not started',
  'loading-manifest': 'Preparing',
  downloading: 'Downloading',
  restoring: 'Resuming',
  booting: 'Booting Linux',
  'starting-docker': 'Starting Docker',
  ready: 'Ready',
  stopped: 'Stopped',
  unresponsive: 'Not responding',
  error: 'Failed',
};

const SOURCE_TEXT: Record<StartSource, string> = {
  saved: 'resumed from your save',
  snapshot: 'fresh machine',
  cold: 'booted from scratch',
};

const mb = (bytes: number) => (bytes / (1024 * 1024)).toFixed(1);

export class LabStatusBar extends LitElement {
  static override styles = css`
    :host {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 0.5rem 1rem;
      padding: 0.5rem 0.75rem;
      background: #f3f4f6;
      border-top: 1px solid #d1d5db;
      font: 0.875rem/1.4 system-ui, sans-serif;
      color: #111827;
    }
    .state {
      display: flex;
      align-items: center;
      gap: 0.5rem;
      flex: 1 1 16rem;
      min-width: 0;
    }
    .phase {
      font-weight: 600;
      white-space: nowrap;
    }
    .detail {
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
      color: #374151;
    }
    progress {
      width: 8rem;
      flex: none;
    }
    .bytes,
    .saved {
      white-space: nowrap;
    }
    .saved {
      color: #374151;
    }
    .actions {
      display: flex;
      flex-wrap: wrap;
      gap: 0.375rem;
    }
    button {
      font: inherit;
      padding: 0.25rem 0.75rem;
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
    :host([phase='ready']) .phase {
      color: #047857;
    }
    :host([phase='error']) .phase,
    :host([phase='unresponsive']) .phase {
      color: #b91c1c;
    }
  `;

  static override properties = {
    status: { attribute: false },
    progress: { attribute: false },
    busy: { type: Boolean },
    phase: { reflect: true },
  };

  declare status: VmStatus | null;
  declare progress: BootProgress | null;
  /** An action is running; buttons wait for it. */
  declare busy: boolean;
  /** Reflected for styling and for tests: the VM's current phase. */
  declare phase: BootPhase;

  /** Keeps "Saved 2 min ago" true while nothing else changes. */
  private ageTimer: ReturnType<typeof setInterval> | undefined;

  constructor() {
    super();
    this.status = null;
    this.progress = null;
    this.busy = false;
    this.phase = 'idle';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.ageTimer = setInterval(() => this.requestUpdate(), 20_000);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.ageTimer);
  }

  protected override willUpdate(): void {
    this.phase = this.status?.phase ?? this.progress?.phase ?? 'idle';
  }

  override render() {
    const phase = this.phase;
    const p = this.progress;
    const downloading = p && p.bytesTotal > 0 && (phase === 'downloading' || phase === 'restoring' || phase === 'booting');
    const running = phase === 'ready' || phase === 'unresponsive';
    const detail = phase === 'ready' && this.status?.source ? SOURCE_TEXT[this.status.source] : (p?.detail ?? '');
    return html`
      <div class="state" role="status" aria-live="polite">
        <span class="phase">${PHASE_TEXT[phase]}</span>
        ${downloading
          ? html`<progress max=${p.bytesTotal} value=${p.bytesLoaded} aria-label="Download progress"></progress>
              <span class="bytes">${mb(p.bytesLoaded)} / ${mb(p.bytesTotal)} MB</span>`
          : null}
        <span class="detail" title=${detail}>${detail}</span>
      </div>
      ${this.renderSaved()}
      <div class="actions">
        <button ?disabled=${this.busy || !running || this.status?.saving} @click=${() => this.emit('lab-save')}>Save</button>
        <button ?disabled=${this.busy || phase === 'idle'} @click=${() => this.emit('lab-reset')}>Reset</button>
        <button ?disabled=${this.busy || !this.status?.savedState} @click=${() => this.emit('lab-export')}>Export</button>
        <button ?disabled=${this.busy} @click=${() => this.emit('lab-import')}>Import</button>
      </div>
    `;
  }

  private renderSaved() {
    const saved = this.status?.savedState;
    if (this.status?.saving) return html`<span class="saved" data-save="saving">Saving…</span>`;
    if (!saved) return null;
    return html`<span class="saved" data-save="saved" title=${new Date(saved.savedAt).toLocaleString()}
      >${savedAgo(saved.savedAt, Date.now())}</span
    >`;
  }

  private emit(type: string): void {
    this.dispatchEvent(new CustomEvent(type, { bubbles: true, composed: true }));
  }
}

customElements.define('lab-status-bar', LabStatusBar);

declare global {
  interface HTMLElementTagNameMap {
    'lab-status-bar': LabStatusBar;
  }
}
