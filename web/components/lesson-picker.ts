// <lesson-picker>: the list of lessons (built-in and imported) and
// "Import scenario…" for a Killercoda-style folder or .zip. It reports what
// the learner chose; <lesson-area> loads, validates and opens it:
//   lesson-pick   (detail: { id })            a lesson from the list
//   lesson-import (detail: { files: File[] }) a picked folder's files, or one .zip
//   lesson-remove (detail: { id })            forget an imported lesson

import { LitElement, css, html, nothing } from 'lit';
import type { LessonIssue } from '../lessons/format';
import type { LessonEntry } from '../lessons/library';

export class LessonPicker extends LitElement {
  static override styles = css`
    :host {
      display: block;
      font-size: 0.95rem;
      line-height: 1.45;
    }
    h2 {
      font-size: 1.1rem;
      margin: 0.75rem 0 0.5rem;
    }
    h3 {
      font-size: 1rem;
      margin: 1.25rem 0 0.25rem;
    }
    ul.lessons {
      list-style: none;
      padding: 0;
      margin: 0;
    }
    ul.lessons li {
      display: flex;
      align-items: start;
      gap: 0.5rem;
      padding: 0.4rem 0;
      border-bottom: 1px solid #e5e7eb;
    }
    .pick {
      flex: 1 1 auto;
      text-align: left;
      background: none;
      border: none;
      padding: 0.2rem;
      font: inherit;
      cursor: pointer;
    }
    .pick strong {
      color: #1d4ed8;
    }
    .pick span {
      display: block;
      color: #4b5563;
      font-size: 0.85rem;
    }
    .tag {
      font-size: 0.75rem;
      color: #6b7280;
    }
    button:focus-visible {
      outline: 2px solid #f59e0b;
      outline-offset: 2px;
    }
    .actions {
      display: flex;
      gap: 0.5rem;
      flex-wrap: wrap;
    }
    .errors {
      margin-top: 0.5rem;
      padding: 0.5rem 0.75rem;
      background: #fef2f2;
      border: 1px solid #ef4444;
      border-radius: 4px;
    }
    .errors ul {
      margin: 0.25rem 0 0;
      padding-left: 1.25rem;
    }
    .errors code {
      font-size: 0.85rem;
    }
    .muted {
      color: #4b5563;
      font-size: 0.85rem;
    }
  `;

  static override properties = {
    lessons: { attribute: false },
    busy: { type: Boolean },
    errorTitle: { attribute: false },
    errors: { attribute: false },
  };

  declare lessons: readonly LessonEntry[];
  /** An import or a lesson is loading. */
  declare busy: boolean;
  /** What failed, e.g. "The scenario cannot be opened:". */
  declare errorTitle: string | null;
  declare errors: readonly LessonIssue[];

  constructor() {
    super();
    this.lessons = [];
    this.busy = false;
    this.errorTitle = null;
    this.errors = [];
  }

  override render() {
    return html`
      <h2>Lessons</h2>
      ${this.lessons.length === 0 ? html`<p class="muted">No lessons yet.</p>` : nothing}
      <ul class="lessons">
        ${this.lessons.map(
          (l) => html`
            <li>
              <button class="pick" ?disabled=${this.busy} @click=${() => this.emit('lesson-pick', { id: l.id })}>
                <strong>${l.title}</strong>
                ${l.description ? html`<span>${l.description}</span>` : nothing}
              </button>
              ${l.source === 'imported'
                ? html`<span class="tag">imported</span>
                    <button aria-label="Remove the imported lesson ${l.title}" @click=${() => this.emit('lesson-remove', { id: l.id })}>
                      Remove
                    </button>`
                : nothing}
            </li>
          `,
        )}
      </ul>
      <section aria-labelledby="import-title">
        <h3 id="import-title">Import scenario…</h3>
        <p class="muted">A Killercoda-style scenario: a folder with an index.json, or a .zip of one. It stays in this browser.</p>
        <div class="actions">
          <button ?disabled=${this.busy} @click=${() => this.choose('folder')}>Choose folder…</button>
          <button ?disabled=${this.busy} @click=${() => this.choose('zip')}>Choose .zip…</button>
        </div>
        <input type="file" data-kind="folder" webkitdirectory multiple hidden @change=${this.onFiles} />
        <input type="file" data-kind="zip" accept=".zip,application/zip" hidden @change=${this.onFiles} />
        ${this.busy ? html`<p class="muted" role="status">Loading…</p>` : nothing}
        ${this.errorTitle ? this.renderErrors() : nothing}
      </section>
    `;
  }

  private renderErrors() {
    return html`
      <div class="errors" role="alert">
        <strong>${this.errorTitle}</strong>
        ${this.errors.length > 0
          ? html`<ul>
              ${this.errors.map((e) => html`<li><code>${e.file}${e.line ? `:${e.line}` : ''}</code> ${e.message}</li>`)}
            </ul>`
          : nothing}
      </div>
    `;
  }

  private choose(kind: 'folder' | 'zip'): void {
    this.renderRoot.querySelector<HTMLInputElement>(`input[data-kind="${kind}"]`)?.click();
  }

  private onFiles = (e: Event) => {
    const input = e.target as HTMLInputElement;
    const files = [...(input.files ?? [])];
    // Cleared so that picking the same folder again (after fixing it) fires change again.
    input.value = '';
    if (files.length > 0) this.emit('lesson-import', { files });
  };

  private emit(type: string, detail: unknown): void {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }
}

customElements.define('lesson-picker', LessonPicker);

declare global {
  interface HTMLElementTagNameMap {
    'lesson-picker': LessonPicker;
  }
}
