// <docker-lab>: the whole lab. A lesson area (slot "lesson"), the terminal,
// notices and the status bar. It starts the VM on connect, resuming the
// learner's save when there is one.
//
// For lessons and tests: `vm` is the comlink-wrapped VmApi (exec, save, …),
// `phase` the VM's phase, `lastStart` how the VM came up. It fires
// "lab-phase" (detail: the phase) when the phase changes, and saves when a
// lesson dispatches "lab-save-request" and when the page is hidden (autosave).

import * as Comlink from 'comlink';
import { LitElement, css, html } from 'lit';
import type { BootPhase, StartResult, StartSource, VmApi, VmStatus } from '../../workers/protocol';
import { Autosave } from '../autosave';
import { downloadBytes, exportFileName } from '../file-transfer';
import { requestPersistentStorage } from '../storage-persistence';
import { VmController } from '../vm-controller';
import './lab-notices';
import './lab-offline';
import './lab-status-bar';
import './lab-terminal';
import './lab-view-tabs';
import './port-preview';
import type { LabTerminal } from './lab-terminal';
import type { PreviewVm } from './port-preview';

/** The work area shows one view at a time, so the terminal keeps its full height even when narrow. */
const VIEWS = [
  { id: 'terminal', label: 'Terminal' },
  { id: 'preview', label: 'Port preview' },
];

export class DockerLab extends LitElement {
  static override styles = css`
    :host {
      display: block;
      height: 100%;
      min-height: 20rem;
      container-type: inline-size;
      font-family: system-ui, sans-serif;
    }
    .layout {
      display: grid;
      grid-template-columns: minmax(16rem, 2fr) 3fr;
      height: 100%;
    }
    .layout.no-lesson {
      grid-template-columns: 1fr;
    }
    .layout.no-lesson .lesson {
      display: none;
    }
    .lesson {
      overflow: auto;
      border-right: 1px solid #d1d5db;
      padding: 0 1rem;
    }
    .work {
      display: flex;
      flex-direction: column;
      min-width: 0;
      min-height: 0;
    }
    lab-terminal {
      flex: 1 1 auto;
    }
    port-preview {
      flex: 1 1 0;
      min-height: 0;
    }
    :is(lab-terminal, port-preview)[hidden] {
      display: none;
    }
    @container (max-width: 48rem) {
      .layout {
        grid-template-columns: 1fr;
        grid-template-rows: minmax(0, 2fr) minmax(16rem, 3fr);
      }
      .lesson {
        border-right: none;
        border-bottom: 1px solid #d1d5db;
      }
    }
  `;

  static override properties = {
    guestBase: { attribute: 'guest-base' },
    busy: { state: true },
    message: { state: true },
    reasonsDismissed: { state: true },
    hasLesson: { state: true },
    view: { state: true },
  };

  /** Folder with the guest's manifest.json; defaults to guest/ next to the page. */
  declare guestBase: string | undefined;
  declare busy: boolean;
  declare message: string | null;
  declare reasonsDismissed: boolean;
  declare hasLesson: boolean;
  declare view: string;

  private readonly controller: VmController;
  private readonly pendingOutput: Uint8Array[] = [];
  private announcedPhase: BootPhase | null = null;
  private readonly autosave = new Autosave({
    save: async () => (await this.vm?.save()) ?? { ok: true },
    canSave: () => !this.busy && (this.phase === 'ready' || this.phase === 'unresponsive'),
    onResult: (r) => {
      if (!r.ok) this.message = `Autosave: ${r.error ?? 'saving failed.'}`;
    },
  });

  constructor() {
    super();
    this.busy = false;
    this.message = null;
    this.reasonsDismissed = false;
    this.hasLesson = false;
    this.view = 'terminal';
    this.controller = new VmController(this, {
      guestBaseUrl: () => new URL(this.guestBase ?? 'guest/', document.baseURI).href,
      onOutput: (chunk) => this.writeOutput(chunk),
    });
  }

  /** The VM, through comlink. Null while disconnected. */
  get vm(): Comlink.Remote<VmApi> | null {
    return this.controller.api;
  }

  get phase(): BootPhase {
    return this.controller.status?.phase ?? 'idle';
  }

  /** The VM's last reported status (phase, saves, the background disk prefetch), for scripts and tests. */
  get status(): VmStatus | null {
    return this.controller.status;
  }

  get lastStart(): StartResult | null {
    return this.controller.lastStart;
  }

  get terminal(): LabTerminal | null {
    return this.renderRoot?.querySelector('lab-terminal') ?? null;
  }

  terminalText(): string {
    return this.terminal?.terminalText() ?? '';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // After the first render, so the terminal exists and attributes set right after upgrade count.
    void this.updateComplete.then(() => this.start('saved'));
    // A lesson asks for a save after a step's check passes; it goes through the same path as the Save button.
    this.addEventListener('lab-save-request', this.onSaveRequest);
    document.addEventListener('visibilitychange', this.onVisibilityChange);
    window.addEventListener('pagehide', this.onPageHide);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.removeEventListener('lab-save-request', this.onSaveRequest);
    document.removeEventListener('visibilitychange', this.onVisibilityChange);
    window.removeEventListener('pagehide', this.onPageHide);
    this.autosave.dispose();
  }

  // A hidden tab may be frozen or discarded by the browser without warning.
  private onVisibilityChange = () => {
    if (document.visibilityState === 'hidden') this.autosave.request();
    else this.autosave.cancel();
  };

  private onPageHide = () => this.autosave.request();

  private onSaveRequest = () => void this.save();

  /** A plain object for the preview: Lit would take the comlink proxy itself for a directive. */
  private readonly previewVm: PreviewVm = {
    exec: (command, options) => this.requireVm().exec(command, options),
    httpRequest: (request) => this.requireVm().httpRequest(request),
  };

  private requireVm(): Comlink.Remote<VmApi> {
    const vm = this.vm;
    if (!vm) throw new Error('The lab machine is not running.');
    return vm;
  }

  /** Tells slotted lesson UIs (which wait for "ready" before using the VM) about phase changes. */
  protected override updated(): void {
    if (this.phase === this.announcedPhase) return;
    this.announcedPhase = this.phase;
    this.dispatchEvent(new CustomEvent<BootPhase>('lab-phase', { detail: this.phase }));
  }

  override render() {
    const status = this.controller.status;
    const refused = status?.refusedState;
    return html`
      <div class="layout ${this.hasLesson ? '' : 'no-lesson'}">
        <!-- A Run button types into the terminal: show it, so the learner sees what runs. -->
        <aside class="lesson" aria-label="Lesson" @lesson-run=${() => (this.view = 'terminal')}>
          <slot name="lesson" @slotchange=${this.onSlotChange}></slot>
        </aside>
        <section class="work" aria-label="Lab machine">
          <lab-notices
            .refused=${refused ? { reason: refused.reason, savedAt: refused.info.savedAt } : null}
            .fallbackReasons=${this.reasonsDismissed ? [] : (this.controller.lastStart?.fallbackReasons ?? [])}
            .error=${this.controller.starting ? null : this.controller.startError}
            ?unresponsive=${status?.phase === 'unresponsive'}
            .diskTrouble=${status?.diskTrouble ?? null}
            .message=${this.message}
            @start-fresh=${() => void this.start('snapshot')}
            @restart-saved=${() => void this.start('saved')}
            @dismiss-notices=${this.dismissNotices}
          ></lab-notices>
          <lab-view-tabs .views=${VIEWS} selected=${this.view} @view-change=${(e: CustomEvent<string>) => (this.view = e.detail)}></lab-view-tabs>
          <lab-terminal
            role="tabpanel"
            aria-label="Terminal"
            ?hidden=${this.view !== 'terminal'}
            @terminal-input=${this.onInput}
            @terminal-resize=${this.onResize}
          ></lab-terminal>
          <port-preview
            role="tabpanel"
            aria-label="Port preview"
            ?hidden=${this.view !== 'preview'}
            ?active=${this.view === 'preview'}
            .vm=${this.phase === 'ready' ? this.previewVm : null}
          ></port-preview>
          <lab-status-bar
            .status=${status}
            .progress=${this.controller.progress}
            ?busy=${this.busy || this.controller.starting}
            @lab-save=${() => void this.save()}
            @lab-reset=${() => void this.start('snapshot')}
            @lab-export=${() => void this.exportState()}
            @lab-import=${this.pickImport}
          ></lab-status-bar>
          <lab-offline
            .guestBase=${new URL(this.guestBase ?? 'guest/', document.baseURI).href}
            .phase=${status?.phase}
            .prefetch=${status?.diskPrefetch ?? null}
          ></lab-offline>
          <input type="file" accept=".dlab" hidden @change=${this.onImportFile} />
        </section>
      </div>
    `;
  }

  protected override firstUpdated(): void {
    for (const chunk of this.pendingOutput.splice(0)) this.terminal?.write(chunk);
  }

  private async start(from: StartSource): Promise<void> {
    this.reasonsDismissed = false;
    this.message = null;
    await this.controller.start(from);
  }

  private writeOutput(chunk: Uint8Array): void {
    const terminal = this.terminal;
    if (terminal) terminal.write(chunk);
    else this.pendingOutput.push(chunk);
  }

  private onInput = (e: CustomEvent<string>) => {
    this.vm?.write(e.detail);
  };

  private onResize = (e: CustomEvent<{ cols: number; rows: number }>) => {
    this.vm?.resize(e.detail.cols, e.detail.rows).catch(() => undefined);
  };

  private onSlotChange = (e: Event) => {
    this.hasLesson = (e.target as HTMLSlotElement).assignedNodes({ flatten: true }).length > 0;
  };

  private dismissNotices = () => {
    this.reasonsDismissed = true;
    this.message = null;
  };

  private async save(): Promise<void> {
    await this.runAction(async (vm) => {
      const result = await vm.save();
      if (!result.ok) return result.error ?? 'Saving failed.';
      this.autosave.noteSaved();
      void requestPersistentStorage();
      const size = ((result.info?.bytes ?? 0) / (1024 * 1024)).toFixed(1);
      return `Saved (${size} MB, ${(result.ms / 1000).toFixed(1)} s). Reloading this page resumes from here.`;
    });
  }

  private async exportState(): Promise<void> {
    await this.runAction(async (vm) => {
      downloadBytes(await vm.exportState(), exportFileName());
      return 'Your last save was exported as a .dlab file.';
    });
  }

  private pickImport = () => {
    this.renderRoot.querySelector<HTMLInputElement>('input[type=file]')?.click();
  };

  private onImportFile = async (e: Event) => {
    const input = e.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    let imported = false;
    await this.runAction(async (vm) => {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const info = await vm.importState(Comlink.transfer(bytes, [bytes.buffer]));
      imported = true;
      return `Imported the lab saved on ${new Date(info.savedAt).toLocaleString()}. Resuming it…`;
    });
    if (imported) await this.controller.start('saved');
  };

  /** Runs one status-bar action; its outcome (or error) becomes the message. */
  private async runAction(action: (vm: Comlink.Remote<VmApi>) => Promise<string>): Promise<void> {
    const vm = this.vm;
    if (!vm || this.busy) return;
    this.busy = true;
    try {
      this.message = await action(vm);
    } catch (err) {
      this.message = err instanceof Error ? err.message : String(err);
    } finally {
      this.busy = false;
    }
  }
}

customElements.define('docker-lab', DockerLab);

declare global {
  interface HTMLElementTagNameMap {
    'docker-lab': DockerLab;
  }
}
