// <lab-view-tabs>: the tab strip that switches the lab's work area between
// views (the terminal, the port preview). Keyboard use follows the WAI-ARIA
// tabs pattern: one tab stop, arrow keys and Home/End move and select.
//
// Properties: `views` ({ id, label }[]), `selected` (an id).
// @fires view-change - detail: the chosen view's id

import { LitElement, css, html } from 'lit';

export interface LabView {
  id: string;
  label: string;
}

export class LabViewTabs extends LitElement {
  static override styles = css`
    :host {
      display: block;
      background: #f3f4f6;
      border-bottom: 1px solid #d1d5db;
    }
    [role='tablist'] {
      display: flex;
      gap: 0.25rem;
      padding: 0.25rem 0.5rem 0;
    }
    button {
      font: inherit;
      font-size: 0.85rem;
      padding: 0.2rem 0.8rem;
      border: 1px solid transparent;
      border-bottom: none;
      border-radius: 4px 4px 0 0;
      background: none;
      color: #374151;
      cursor: pointer;
    }
    button[aria-selected='true'] {
      background: #fff;
      border-color: #d1d5db;
      color: #111827;
      font-weight: 600;
    }
    button:focus-visible {
      outline: 2px solid #f59e0b;
      outline-offset: -2px;
    }
  `;

  static override properties = {
    views: { attribute: false },
    selected: {},
  };

  declare views: readonly LabView[];
  declare selected: string;

  constructor() {
    super();
    this.views = [];
    this.selected = '';
  }

  override render() {
    return html`
      <div role="tablist" aria-label="Lab views" @keydown=${this.onKey}>
        ${this.views.map(
          (v) => html`<button
            role="tab"
            id="tab-${v.id}"
            aria-selected=${String(v.id === this.selected)}
            tabindex=${v.id === this.selected ? 0 : -1}
            @click=${() => this.select(v.id)}
          >
            ${v.label}
          </button>`,
        )}
      </div>
    `;
  }

  private onKey = (e: KeyboardEvent) => {
    const i = this.views.findIndex((v) => v.id === this.selected);
    const n = this.views.length;
    const to = { ArrowRight: i + 1, ArrowLeft: i - 1 + n, Home: 0, End: n - 1 }[e.key];
    if (to === undefined || n === 0) return;
    e.preventDefault();
    const view = this.views[to % n];
    this.select(view.id);
    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>(`#tab-${view.id}`)?.focus());
  };

  private select(id: string): void {
    if (id === this.selected) return;
    this.selected = id;
    this.dispatchEvent(new CustomEvent<string>('view-change', { detail: id, bubbles: true, composed: true }));
  }
}

customElements.define('lab-view-tabs', LabViewTabs);

declare global {
  interface HTMLElementTagNameMap {
    'lab-view-tabs': LabViewTabs;
  }
}
