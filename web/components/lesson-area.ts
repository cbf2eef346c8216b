// <lesson-area>: the lesson side of the lab. Put it in <docker-lab>'s
// "lesson" slot; it finds its <docker-lab> ancestor for the VM (`vm`, `phase`
// and the "lab-phase" event) and asks it to save with "lab-save-request"
// after a step's check passes. It wires the picker, the panel and the file
// editor to the lesson modules (library, importer, validator, runner), and
// honours ?lesson=<id>&step=<n>.

import { LitElement, css, html, nothing } from 'lit';
import type { BootPhase } from '../../workers/protocol';
import { missingImages, validateLesson, type Lesson, type LessonIssue } from '../lessons/format';
import { importFileList, LessonImportError } from '../lessons/importer';
import {
  builtinLessons,
  importedId,
  importedLessons,
  loadLessonFiles,
  removeImportedLesson,
  saveImportedLesson,
  type LessonEntry,
  type LessonFilesMap,
} from '../lessons/library';
import type { LessonCommand } from '../lessons/markdown';
import {
  LessonRunner,
  clampPosition,
  deepLinkSearch,
  parseDeepLink,
  type CheckResult,
  type LessonVm,
  type ScriptReport,
} from '../lessons/runner';
import type { DockerLab } from './docker-lab';
import './file-editor';
import './lesson-panel';
import './lesson-picker';

export class LessonArea extends LitElement {
  static override styles = css`
    :host {
      display: block;
    }
  `;

  static override properties = {
    entries: { state: true },
    lesson: { state: true },
    position: { state: true },
    completed: { state: true },
    ready: { state: true },
    filesPlaced: { state: true },
    checking: { state: true },
    checkResult: { state: true },
    passedNote: { state: true },
    backgrounds: { state: true },
    missing: { state: true },
    problem: { state: true },
    busy: { state: true },
    errorTitle: { state: true },
    errors: { state: true },
  };

  declare entries: LessonEntry[];
  declare lesson: Lesson | null;
  declare position: number;
  declare completed: number[];
  /** The lab machine is up (phase "ready"). */
  declare ready: boolean;
  /** The lesson's files are in the guest, so the editor may read them. */
  declare filesPlaced: boolean;
  declare checking: boolean;
  declare checkResult: CheckResult | null;
  declare passedNote: string | null;
  declare backgrounds: ReadonlyMap<number, ScriptReport>;
  declare missing: string[];
  declare problem: string | null;
  declare busy: boolean;
  declare errorTitle: string | null;
  declare errors: LessonIssue[];

  private lab: DockerLab | null = null;
  private catalog: Promise<Array<{ ref: string; digest?: string }> | null> | null = null;
  private readonly runner = new LessonRunner(() => this.vm(), {
    onBackground: (report) => {
      if (report.state === 'done' && !this.backgrounds.has(report.position)) return;
      this.backgrounds = new Map(this.backgrounds).set(report.position, report);
    },
  });

  constructor() {
    super();
    this.entries = [];
    this.lesson = null;
    this.position = 0;
    this.completed = [];
    this.ready = false;
    this.filesPlaced = false;
    this.checking = false;
    this.checkResult = null;
    this.passedNote = null;
    this.backgrounds = new Map();
    this.missing = [];
    this.problem = null;
    this.busy = false;
    this.errorTitle = null;
    this.errors = [];
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.lab = this.closest('docker-lab');
    this.lab?.addEventListener('lab-phase', this.onPhase);
    this.ready = this.lab?.phase === 'ready';
    void this.init();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.lab?.removeEventListener('lab-phase', this.onPhase);
    this.lab = null;
  }

  private vm(): LessonVm | null {
    return this.ready ? (this.lab?.vm ?? null) : null;
  }

  /**
   * What the file editor gets instead of the VM itself: a comlink proxy answers
   * every property lookup, so Lit, handed one in a binding, takes it for a
   * directive and calls into the worker. A plain object does not.
   */
  private readonly fileVm = {
    readFile: (path: string) => this.requireVm().readFile(path),
    writeFile: (path: string, data: Uint8Array | string, mode?: number) => this.requireVm().writeFile(path, data, mode),
  };

  private requireVm(): LessonVm {
    const vm = this.vm();
    if (!vm) throw new Error('The lab machine is not ready.');
    return vm;
  }

  private async init(): Promise<void> {
    await this.refreshEntries();
    const link = parseDeepLink(location.search);
    if (link.lesson) await this.openLesson(link.lesson, link.step);
  }

  private async refreshEntries(): Promise<void> {
    const [builtin, imported] = await Promise.all([builtinLessons(), importedLessons()]);
    this.entries = [...builtin, ...imported];
  }

  override render() {
    const lesson = this.lesson;
    if (!lesson) {
      return html`<lesson-picker
        .lessons=${this.entries}
        ?busy=${this.busy}
        .errorTitle=${this.errorTitle}
        .errors=${this.errors}
        @lesson-pick=${(e: CustomEvent<{ id: string }>) => void this.openLesson(e.detail.id, null)}
        @lesson-import=${(e: CustomEvent<{ files: File[] }>) => void this.importScenario(e.detail.files)}
        @lesson-remove=${(e: CustomEvent<{ id: string }>) => void this.removeImported(e.detail.id)}
      ></lesson-picker>`;
    }
    const editable = lesson.files.filter((f) => f.editable);
    return html`
      <lesson-panel
        .lesson=${lesson}
        .position=${this.position}
        .completed=${this.completed}
        ?ready=${this.ready}
        ?checking=${this.checking}
        .checkResult=${this.checkResult}
        .passedNote=${this.passedNote}
        .background=${this.backgrounds.get(this.position) ?? null}
        .missingImages=${this.missing}
        .problem=${this.problem}
        @lesson-run=${this.onRun}
        @lesson-check=${(e: CustomEvent<{ step: number }>) => void this.check(e.detail.step)}
        @lesson-go=${(e: CustomEvent<{ position: number }>) => void this.go(e.detail.position)}
        @lesson-close=${this.close}
      ></lesson-panel>
      ${editable.length > 0
        ? html`<file-editor .files=${editable} .vm=${this.filesPlaced && this.ready ? this.fileVm : null}></file-editor>`
        : nothing}
    `;
  }

  private onPhase = (e: Event) => {
    const phase = (e as CustomEvent<BootPhase>).detail;
    const wasReady = this.ready;
    this.ready = phase === 'ready';
    if (!this.ready) this.filesPlaced = false;
    // Also after a reset or a restart: the guest may be a fresh one that lacks the lesson's files.
    if (this.ready && !wasReady && this.lesson) void this.prepare();
  };

  private async openLesson(id: string, step: number | null): Promise<void> {
    this.busy = true;
    this.errorTitle = null;
    this.errors = [];
    try {
      const files = await loadLessonFiles(id);
      if (!files) {
        this.errorTitle = `There is no lesson "${id}" in this browser.`;
        return;
      }
      await this.start(files, id, step);
    } catch (err) {
      this.errorTitle = `The lesson could not be loaded: ${err instanceof Error ? err.message : String(err)}`;
    } finally {
      this.busy = false;
    }
  }

  /** Validates and opens; validation problems go to the picker. Returns whether it opened. */
  private async start(files: LessonFilesMap, id: string, step: number | null): Promise<boolean> {
    const result = validateLesson(files, { id });
    for (const w of result.warnings) console.warn(`[lesson ${id}] ${w.file}${w.line ? `:${w.line}` : ''} ${w.message}`);
    if ('errors' in result) {
      this.errorTitle = 'This lesson cannot be opened:';
      this.errors = result.errors;
      return false;
    }
    const lesson = result.lesson;
    const progress = await this.runner.load(lesson, step);
    this.backgrounds = new Map();
    this.checkResult = null;
    this.passedNote = null;
    this.problem = null;
    this.filesPlaced = false;
    this.completed = progress.completed;
    this.position = progress.current;
    this.lesson = lesson;
    this.updateUrl();
    void this.checkImages(lesson);
    if (this.ready) await this.prepare();
    return true;
  }

  /** Puts the lesson into the guest (files, setup) and enters the current page. */
  private async prepare(): Promise<void> {
    const lesson = this.lesson;
    if (!lesson) return;
    try {
      await this.runner.open(lesson);
      if (this.lesson !== lesson) return;
      this.filesPlaced = true;
      await this.runner.openPage(this.position);
    } catch (err) {
      this.problem = `The lesson could not set up the lab machine: ${err instanceof Error ? err.message : String(err)}`;
    }
  }

  private async checkImages(lesson: Lesson): Promise<void> {
    if (lesson.images.length === 0) {
      this.missing = [];
      return;
    }
    this.catalog ??= fetch(new URL('manifest.json', new URL(this.lab?.getAttribute('guest-base') ?? 'guest/', document.baseURI)))
      .then((r) => (r.ok ? r.json() : null))
      .then((m: { images?: Array<{ ref: string; digest?: string }> } | null) => m?.images ?? null)
      .catch(() => null);
    const catalog = await this.catalog;
    // Without the manifest we cannot tell; saying "missing" for everything would be wrong.
    if (this.lesson === lesson) this.missing = catalog ? missingImages(lesson.images, catalog) : [];
  }

  private async importScenario(picked: File[]): Promise<void> {
    this.busy = true;
    this.errorTitle = null;
    this.errors = [];
    try {
      const { files, name } = await importFileList(picked);
      let title = name;
      try {
        const raw = JSON.parse(new TextDecoder().decode(files.get('index.json'))) as { title?: unknown };
        if (!name && typeof raw.title === 'string') title = raw.title;
      } catch {
        // The validator reports broken JSON with its line.
      }
      const id = importedId(title);
      if (await this.start(files, id, null)) {
        // Kept so a reload or a ?lesson= link finds it; without IndexedDB it lasts until reload.
        await saveImportedLesson(id, files).catch(() => undefined);
        await this.refreshEntries();
      }
    } catch (err) {
      this.errorTitle = err instanceof LessonImportError ? err.message : `The import failed: ${err instanceof Error ? err.message : String(err)}`;
    } finally {
      this.busy = false;
    }
  }

  private async removeImported(id: string): Promise<void> {
    await removeImportedLesson(id).catch(() => undefined);
    await this.refreshEntries();
  }

  private onRun = (e: CustomEvent<{ command: LessonCommand }>) => {
    const { command } = e.detail;
    try {
      this.runner.run(command.text, { interrupt: command.interrupt });
    } catch (err) {
      this.problem = err instanceof Error ? err.message : String(err);
    }
  };

  private async check(step: number): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    this.checkResult = null;
    this.passedNote = null;
    try {
      const result = await this.runner.check(step);
      if (!result.passed) {
        this.checkResult = result;
        return;
      }
      await this.runner.complete(step);
      this.completed = this.runner.progress.completed;
      // Keep the learner's work with their progress; <docker-lab> saves (and reports how it went).
      this.dispatchEvent(new CustomEvent('lab-save-request', { bubbles: true, composed: true }));
      await this.go(step + 2, `Step ${step + 1} passed ✓`);
    } finally {
      this.checking = false;
    }
  }

  private async go(position: number, passedNote: string | null = null): Promise<void> {
    const lesson = this.lesson;
    if (!lesson) return;
    const target = clampPosition(lesson, position);
    // Leaving a step without a check forwards counts as doing it.
    const from = this.position;
    const step = from >= 1 && from <= lesson.steps.length ? lesson.steps[from - 1] : null;
    if (step && target > from && step.check === null && step.verify === null) {
      await this.runner.complete(from - 1);
      this.completed = this.runner.progress.completed;
    }
    this.checkResult = null;
    this.passedNote = passedNote;
    this.position = target;
    this.updateUrl();
    await this.runner.openPage(target);
  }

  private close = () => {
    this.lesson = null;
    this.filesPlaced = false;
    this.updateUrl();
  };

  private updateUrl(): void {
    const search = deepLinkSearch(location.search, this.lesson?.id ?? null, this.lesson ? this.position : null);
    history.replaceState(history.state, '', `${location.pathname}${search}${location.hash}`);
  }
}

customElements.define('lesson-area', LessonArea);

declare global {
  interface HTMLElementTagNameMap {
    'lesson-area': LessonArea;
  }
}
