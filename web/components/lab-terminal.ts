// <lab-terminal>: the learner's console. An xterm.js view that renders the
// guest's output chunks and reports keystrokes and size changes upwards:
//   terminal-input  (detail: string)             bytes for the guest console
//   terminal-resize (detail: { cols, rows })     after every fit

import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import xtermCss from '@xterm/xterm/css/xterm.css?inline';
import { LitElement, css, html, unsafeCSS, type PropertyValues } from 'lit';

/** Pastes above this ask first: at serial speed they take a while and are often mistakes. */
export const LARGE_PASTE_BYTES = 64 * 1024;
const PASTE_CHUNK = 4096;

export class LabTerminal extends LitElement {
  static override styles = [
    unsafeCSS(xtermCss),
    css`
      :host {
        display: block;
        position: relative;
        min-height: 12rem;
        background: #000;
      }
      .screen {
        position: absolute;
        inset: 0.25rem 0.25rem 0.25rem 0.5rem;
      }
      dialog {
        font: inherit;
        max-width: 32rem;
      }
      dialog .actions {
        display: flex;
        gap: 0.5rem;
        justify-content: flex-end;
      }
      .sending {
        position: absolute;
        right: 1rem;
        bottom: 0.5rem;
        color: #fff;
        background: #333c;
        padding: 0.25rem 0.5rem;
        border-radius: 4px;
      }
    `,
  ];

  static override properties = {
    pendingPaste: { state: true },
    pasteProgress: { state: true },
  };

  declare pendingPaste: string | null;
  declare pasteProgress: string | null;

  private term: Terminal | null = null;
  private readonly fit = new FitAddon();
  private readonly queued: Array<Uint8Array | string> = [];
  private resizeObserver: ResizeObserver | null = null;
  private escapeArmed = false;
  /** Ctrl-C was typed while a large paste was being sent: send no more of it. */
  private pasteInterrupted = false;

  constructor() {
    super();
    this.pendingPaste = null;
    this.pasteProgress = null;
  }

  /** Guest output; written in arrival order, also before the terminal is on screen. */
  write(data: Uint8Array | string): void {
    if (this.term) this.term.write(data);
    else this.queued.push(data);
  }

  /** Everything in the scrollback and on screen, one line per row (for tests and lessons). */
  terminalText(): string {
    const buffer = this.term?.buffer.active;
    if (!buffer) return '';
    const lines: string[] = [];
    for (let i = 0; i < buffer.length; i++) lines.push(buffer.getLine(i)?.translateToString(true) ?? '');
    return lines.join('\n');
  }

  override focus(): void {
    this.term?.focus();
  }

  override render() {
    return html`
      <div class="screen" @paste=${{ handleEvent: (e: ClipboardEvent) => this.onPaste(e), capture: true }}></div>
      ${this.pasteProgress ? html`<div class="sending" role="status">${this.pasteProgress}</div>` : null}
      <dialog aria-labelledby="paste-title">
        <p id="paste-title">
          You are pasting ${Math.round((this.pendingPaste?.length ?? 0) / 1024)} KB of text into the terminal. That can take a
          while. Paste it?
        </p>
        <div class="actions">
          <button @click=${() => this.cancelPaste()}>Cancel</button>
          <button @click=${() => void this.confirmPaste()}>Paste</button>
        </div>
      </dialog>
    `;
  }

  protected override firstUpdated(_changed: PropertyValues): void {
    const screen = this.renderRoot.querySelector<HTMLElement>('.screen');
    if (!screen) return;
    const term = new Terminal({
      convertEol: false,
      cursorBlink: true,
      fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
      fontSize: 14,
      scrollback: 5000,
      screenReaderMode: false,
    });
    term.loadAddon(this.fit);
    term.attachCustomKeyEventHandler((e) => this.keepKey(e));
    term.onData((data) => {
      if (data.includes('\x03')) this.pasteInterrupted = true;
      this.emit('terminal-input', data);
    });
    term.onResize(({ cols, rows }) => this.emit('terminal-resize', { cols, rows }));
    term.open(screen);
    term.textarea?.setAttribute('aria-label', 'Lab terminal. To leave it, press Escape then Tab, or Shift+Tab.');
    this.term = term;
    for (const chunk of this.queued.splice(0)) term.write(chunk);
    this.resizeObserver = new ResizeObserver(() => this.refit());
    this.resizeObserver.observe(this);
    this.refit();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resizeObserver?.disconnect();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.term) this.resizeObserver?.observe(this);
  }

  /**
   * Tab belongs to the shell (completion), so keyboard users need another way
   * out: Shift+Tab, or Escape followed by Tab (Escape still reaches the guest).
   * Returning false lets the browser move focus instead of xterm taking the key.
   */
  private keepKey(e: KeyboardEvent): boolean {
    if (e.type !== 'keydown') return true;
    if (e.key === 'Tab' && (e.shiftKey || this.escapeArmed)) {
      this.escapeArmed = false;
      return false;
    }
    if (e.key !== 'Shift') this.escapeArmed = e.key === 'Escape';
    return true;
  }

  private refit(): void {
    if (!this.term || this.clientWidth === 0 || this.clientHeight === 0) return;
    this.fit.fit();
    this.emit('terminal-resize', { cols: this.term.cols, rows: this.term.rows });
  }

  private onPaste(e: ClipboardEvent): void {
    const text = e.clipboardData?.getData('text/plain') ?? '';
    if (text.length <= LARGE_PASTE_BYTES) return;
    // Keep xterm from pushing the whole text through in one go.
    e.preventDefault();
    e.stopImmediatePropagation();
    this.pendingPaste = text;
    void this.updateComplete.then(() => this.renderRoot.querySelector('dialog')?.showModal());
  }

  private cancelPaste(): void {
    this.pendingPaste = null;
    this.renderRoot.querySelector('dialog')?.close();
    this.term?.focus();
  }

  private async confirmPaste(): Promise<void> {
    const text = this.pendingPaste ?? '';
    this.cancelPaste();
    // What xterm itself does to a paste: CR line ends, brackets if the app asked for them.
    let data = text.replace(/\r?\n/g, '\r');
    if (this.term?.modes.bracketedPasteMode) data = `\x1b[200~${data}\x1b[201~`;
    // The worker paces what reaches the guest and drops the rest on Ctrl-C;
    // this side stops sending so that nothing sent after the Ctrl-C slips through.
    this.pasteInterrupted = false;
    for (let i = 0; i < data.length && !this.pasteInterrupted; i += PASTE_CHUNK) {
      this.emit('terminal-input', data.slice(i, i + PASTE_CHUNK));
      this.pasteProgress = `Pasting… ${Math.round((i / data.length) * 100)}% (Ctrl-C stops it)`;
      // Yield between chunks so the page keeps painting and taking input.
      await new Promise((r) => setTimeout(r, 0));
    }
    this.pasteProgress = null;
  }

  private emit(type: string, detail: unknown): void {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }
}

customElements.define('lab-terminal', LabTerminal);

declare global {
  interface HTMLElementTagNameMap {
    'lab-terminal': LabTerminal;
  }
}
