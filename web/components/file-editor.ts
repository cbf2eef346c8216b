// <file-editor>: a plain textarea editor for a lesson's editable files, so a
// learner can change e.g. app.py or a Dockerfile without a terminal editor.
// It reads and writes the guest directly through `vm` (readFile/writeFile):
// the guest's copy is the truth, the lesson's copy is only the starting point.
// No heavy editor: lessons edit small files, and a textarea is accessible.

import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import type { LessonFile } from '../lessons/format';
import type { LessonVm } from '../lessons/runner';

type FileVm = Pick<LessonVm, 'readFile' | 'writeFile'>;

export class FileEditor extends LitElement {
  static override styles = css`
    :host {
      display: block;
      margin: 0.5rem 0 1rem;
      font-size: 0.9rem;
    }
    h3 {
      font-size: 1rem;
      margin: 0.5rem 0;
    }
    .bar {
      display: flex;
      flex-wrap: wrap;
      gap: 0.4rem;
      align-items: center;
      margin-bottom: 0.4rem;
    }
    select,
    button {
      font: inherit;
    }
    textarea {
      box-sizing: border-box;
      width: 100%;
      min-height: 12rem;
      resize: vertical;
      font-family: ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace;
      font-size: 0.85rem;
      tab-size: 4;
      white-space: pre;
    }
    .status {
      color: #4b5563;
      font-size: 0.85rem;
      min-height: 1.2em;
    }
    .status.error {
      color: #b91c1c;
    }
    button:focus-visible,
    select:focus-visible {
      outline: 2px solid #f59e0b;
      outline-offset: 2px;
    }
  `;

  static override properties = {
    files: { attribute: false },
    vm: { attribute: false },
    selected: { state: true },
    text: { state: true },
    savedText: { state: true },
    busy: { state: true },
    status: { state: true },
    failed: { state: true },
  };

  /** The lesson's editable files. */
  declare files: readonly LessonFile[];
  /** The lab machine; null while it is not ready (the editor then shows the lesson's copy). */
  declare vm: FileVm | null;
  declare selected: string | null;
  declare text: string;
  /** The text as last loaded or saved, to tell unsaved changes. */
  declare savedText: string;
  declare busy: boolean;
  declare status: string;
  declare failed: boolean;

  constructor() {
    super();
    this.files = [];
    this.vm = null;
    this.selected = null;
    this.text = '';
    this.savedText = '';
    this.busy = false;
    this.status = '';
    this.failed = false;
  }

  get dirty(): boolean {
    return this.text !== this.savedText;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('files') && !this.files.some((f) => f.path === this.selected)) {
      this.selected = this.files[0]?.path ?? null;
      this.showLessonCopy();
    }
  }

  protected override updated(changed: PropertyValues<this>): void {
    // Load from the guest when a file is picked, or when the machine becomes ready, unless that would drop edits.
    const vmArrived = changed.has('vm') && this.vm && !changed.get('vm');
    // After this update, not inside it: load() changes state, which would schedule an update from updated().
    if ((changed.has('selected') || vmArrived) && this.vm && this.selected && !this.dirty) queueMicrotask(() => void this.load());
  }

  override render() {
    if (this.files.length === 0) return nothing;
    const file = this.current();
    return html`
      <section aria-labelledby="editor-title">
        <h3 id="editor-title">Files</h3>
        <div class="bar">
          <select aria-label="File to edit" @change=${this.onSelect}>
            ${this.files.map((f) => html`<option value=${f.path} ?selected=${f.path === this.selected}>${f.path}</option>`)}
          </select>
          <button ?disabled=${!this.vm || this.busy} @click=${() => void this.load()}>Load from machine</button>
          <button ?disabled=${!this.vm || this.busy} @click=${() => void this.save()}>Save file</button>
          <button ?disabled=${this.busy || !file} @click=${this.revert}>Lesson's version</button>
        </div>
        <textarea
          aria-label=${`Contents of ${this.selected ?? ''}`}
          spellcheck="false"
          wrap="off"
          .value=${this.text}
          @input=${(e: Event) => (this.text = (e.target as HTMLTextAreaElement).value)}
          @keydown=${this.onKey}
        ></textarea>
        <div class="status ${this.failed ? 'error' : ''}" role="status">
          ${this.dirty ? 'Unsaved changes. ' : ''}${this.status}
        </div>
      </section>
    `;
  }

  private current(): LessonFile | undefined {
    return this.files.find((f) => f.path === this.selected);
  }

  private showLessonCopy(): void {
    const f = this.current();
    this.text = this.savedText = f ? new TextDecoder().decode(f.data) : '';
    this.status = this.vm ? '' : 'The lesson’s copy; the machine’s copy loads when it is ready.';
    this.failed = false;
  }

  private onSelect = (e: Event) => {
    if (this.dirty && !confirm(`Drop your unsaved changes to ${this.selected}?`)) {
      (e.target as HTMLSelectElement).value = this.selected ?? '';
      return;
    }
    this.selected = (e.target as HTMLSelectElement).value;
    this.showLessonCopy();
  };

  private onKey = (e: KeyboardEvent) => {
    if ((e.ctrlKey || e.metaKey) && e.key === 's') {
      e.preventDefault();
      void this.save();
    }
  };

  /** Shows the lesson's original text; Save puts it on the machine. */
  private revert = () => {
    const f = this.current();
    if (!f) return;
    this.text = new TextDecoder().decode(f.data);
    this.status = 'The lesson’s version; Save to put it on the machine.';
    this.failed = false;
  };

  async load(): Promise<void> {
    const vm = this.vm;
    const path = this.selected;
    if (!vm || !path) return;
    await this.act(async () => {
      const bytes = await vm.readFile(path);
      let text: string;
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      } catch {
        throw new Error(`${path} on the machine is not UTF-8 text, so it cannot be edited here.`);
      }
      if (path !== this.selected) return '';
      this.text = this.savedText = text;
      return `Loaded ${path} from the machine.`;
    });
  }

  async save(): Promise<void> {
    const vm = this.vm;
    const path = this.selected;
    const file = this.current();
    if (!vm || !path || !file) return;
    const text = this.text;
    await this.act(async () => {
      await vm.writeFile(path, text, file.mode);
      this.savedText = text;
      return `Saved ${path} on the machine (${new TextEncoder().encode(text).length} bytes).`;
    });
  }

  private async act(action: () => Promise<string>): Promise<void> {
    this.busy = true;
    try {
      this.status = await action();
      this.failed = false;
    } catch (err) {
      this.status = err instanceof Error ? err.message : String(err);
      this.failed = true;
    } finally {
      this.busy = false;
    }
  }
}

customElements.define('file-editor', FileEditor);

declare global {
  interface HTMLElementTagNameMap {
    'file-editor': FileEditor;
  }
}
