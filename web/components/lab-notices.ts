// <lab-notices>: what the learner should know about how the lab started or
// failed, in plain words, with the one action that helps. Events up:
//   start-fresh        begin again from the shipped machine
//   restart-saved      restart from the last save (after a hang or failure)
//   dismiss-notices

import { LitElement, css, html } from 'lit';

export interface RefusedNotice {
  reason: string;
  savedAt: string;
}

export class LabNotices extends LitElement {
  static override styles = css`
    :host {
      display: block;
      font: 0.9rem/1.45 system-ui, sans-serif;
    }
    .notice {
      margin: 0;
      padding: 0.5rem 0.75rem;
      border-bottom: 1px solid #e5e7eb;
      display: flex;
      flex-wrap: wrap;
      gap: 0.5rem;
      align-items: center;
    }
    .notice p {
      margin: 0;
      flex: 1 1 20rem;
    }
    .warn {
      background: #fffbeb;
      color: #78350f;
    }
    .error {
      background: #fef2f2;
      color: #7f1d1d;
    }
    .info {
      background: #eff6ff;
      color: #1e3a8a;
    }
    button {
      font: inherit;
      padding: 0.2rem 0.7rem;
      border: 1px solid currentColor;
      border-radius: 4px;
      background: #fff;
      color: inherit;
      cursor: pointer;
    }
    button:focus-visible {
      outline: 2px solid #2563eb;
      outline-offset: 2px;
    }
  `;

  static override properties = {
    refused: { attribute: false },
    fallbackReasons: { attribute: false },
    error: { attribute: false },
    unresponsive: { type: Boolean },
    diskTrouble: { attribute: false },
    message: { attribute: false },
  };

  /** A saved state the lab would not resume; it is kept, not deleted. */
  declare refused: RefusedNotice | null;
  declare fallbackReasons: string[];
  declare error: string | null;
  declare unresponsive: boolean;
  /** The guest waits for a disk part that could not be loaded. */
  declare diskTrouble: string | null;
  /** Outcome of the last action (save, export, import). */
  declare message: string | null;

  constructor() {
    super();
    this.refused = null;
    this.fallbackReasons = [];
    this.error = null;
    this.unresponsive = false;
    this.diskTrouble = null;
    this.message = null;
  }

  override render() {
    const reasons = this.refused ? this.fallbackReasons.filter((r) => r !== this.refused?.reason) : this.fallbackReasons;
    return html`
      ${this.refused
        ? html`<div class="notice warn" role="alert" data-notice="refused">
            <p>
              ${this.refused.reason} Your save from ${formatDate(this.refused.savedAt)} is kept in this browser; nothing was
              deleted. The lab is running on a fresh machine instead.
            </p>
            <button @click=${() => this.emit('start-fresh')}>Start fresh</button>
          </div>`
        : null}
      ${this.error
        ? html`<div class="notice error" role="alert" data-notice="error">
            <p>${this.error}</p>
            <button @click=${() => this.emit('restart-saved')}>Try again</button>
            <button @click=${() => this.emit('start-fresh')}>Start fresh</button>
          </div>`
        : null}
      ${this.unresponsive
        ? html`<div class="notice error" role="alert" data-notice="unresponsive">
            <p>The lab machine has stopped responding.</p>
            <button @click=${() => this.emit('restart-saved')}>Restart from last save</button>
          </div>`
        : null}
      ${this.diskTrouble
        ? html`<div class="notice warn" role="alert" data-notice="disk">
            <p>${this.diskTrouble} Commands that read this part of the disk wait until it arrives.</p>
          </div>`
        : null}
      ${reasons.length > 0
        ? html`<div class="notice info" data-notice="fallback">
            <p>${reasons.join(' ')}</p>
            <button @click=${() => this.emit('dismiss-notices')}>OK</button>
          </div>`
        : null}
      ${this.message
        ? html`<div class="notice info" role="status" data-notice="message">
            <p>${this.message}</p>
            <button @click=${() => this.emit('dismiss-notices')}>OK</button>
          </div>`
        : null}
    `;
  }

  private emit(type: string): void {
    this.dispatchEvent(new CustomEvent(type, { bubbles: true, composed: true }));
  }
}

function formatDate(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

customElements.define('lab-notices', LabNotices);

declare global {
  interface HTMLElementTagNameMap {
    'lab-notices': LabNotices;
  }
}
