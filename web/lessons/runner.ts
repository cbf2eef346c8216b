// The lesson runtime: what happens in the lab machine as a learner goes
// through a lesson. It talks to anything shaped like the VmApi (the comlink
// proxy in the page, a fake in unit tests) and never to the DOM.
//
// Pages are numbered by position: 0 is the intro, 1..n the steps, n+1 the
// finish page. Background and foreground scripts run once per guest: a marker
// file in the guest records that they ran, so a reload (which resumes the
// saved guest) does not run a setup twice, while a fresh guest gets it again.

import type { ExecOptions, ExecResult } from '../../workers/protocol';
import type { Lesson, LessonPage } from './format';
import { idbProgressStore, type LessonProgress, type ProgressStore } from './progress';

/** The part of VmApi a lesson uses. write() is a keystroke stream into the learner's terminal. */
export interface LessonVm {
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  writeFile(path: string, data: Uint8Array | string, mode?: number): Promise<void>;
  readFile(path: string): Promise<Uint8Array>;
  write(data: string): unknown;
}

export const CHECK_TIMEOUT_MS = 60_000;
/** Setups may build or pull images; they run while the learner reads, so they may take a while. */
export const BACKGROUND_TIMEOUT_MS = 10 * 60_000;
const MARKER_DIR = '/var/lib/docker-lab/lessons';

export interface CheckResult {
  passed: boolean;
  /** What the check printed (stdout then stderr), or why it could not run. */
  output: string;
  exitCode: number;
  timedOut: boolean;
  ms: number;
}

export interface ScriptReport {
  position: number;
  state: 'running' | 'done' | 'failed';
  output: string;
}

export interface RunnerOptions {
  store?: ProgressStore;
  /** Background scripts run without blocking anyone; this hears how they went. */
  onBackground?(report: ScriptReport): void;
}

/** Single-quotes a string for sh. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function pageCount(lesson: Lesson): number {
  return lesson.steps.length + 2;
}

/** The page at a position; intro and finish may be absent (null). */
export function pageAt(lesson: Lesson, position: number): LessonPage | null {
  if (position <= 0) return lesson.intro;
  if (position > lesson.steps.length) return lesson.finish;
  return lesson.steps[position - 1];
}

/** The first position that has a page to show. */
export function firstPosition(lesson: Lesson): number {
  return lesson.intro ? 0 : 1;
}

/** Keeps a position on a page that exists. */
export function clampPosition(lesson: Lesson, position: number): number {
  const last = lesson.finish ? lesson.steps.length + 1 : lesson.steps.length;
  return Math.max(firstPosition(lesson), Math.min(last, Math.trunc(position)));
}

/** ?lesson=<id>&step=<n>: n is the step number (1 = first step, 0 = intro). */
export function parseDeepLink(search: string): { lesson: string | null; step: number | null } {
  const q = new URLSearchParams(search);
  const step = q.get('step');
  const n = step !== null && /^\d+$/.test(step) ? Number(step) : null;
  return { lesson: q.get('lesson') || null, step: n };
}

/** The query string for a lesson page, keeping the page's other parameters (e.g. guest=). */
export function deepLinkSearch(search: string, lessonId: string | null, position: number | null): string {
  const q = new URLSearchParams(search);
  if (lessonId) q.set('lesson', lessonId);
  else q.delete('lesson');
  if (lessonId && position !== null) q.set('step', String(position));
  else q.delete('step');
  const s = q.toString();
  return s ? `?${s}` : '';
}

function pageKey(lesson: Lesson, position: number): string {
  return position <= 0 ? 'intro' : position > lesson.steps.length ? 'finish' : `step-${position}`;
}

function output(r: ExecResult): string {
  return [r.stdout, r.stderr].filter((s) => s.trim() !== '').join('\n').trimEnd();
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class LessonRunner {
  lesson: Lesson | null = null;
  progress: LessonProgress = { current: 0, completed: [], updatedAt: '' };

  private readonly store: ProgressStore;
  /** The intro's setup; step setups wait for it. */
  private setup: Promise<unknown> = Promise.resolve();

  /** getVm returns null while the lab machine is not ready; nothing is sent to it then. */
  constructor(
    private readonly getVm: () => LessonVm | null,
    private readonly options: RunnerOptions = {},
  ) {
    this.store = options.store ?? idbProgressStore();
  }

  /** Makes `lesson` the current one and restores where the learner was (a deep-linked step wins). */
  async load(lesson: Lesson, deepLinkStep: number | null = null): Promise<LessonProgress> {
    this.lesson = lesson;
    this.setup = Promise.resolve();
    const saved = await this.store.load(lesson.id).catch(() => null);
    const completed = (saved?.completed ?? []).filter((i) => i >= 0 && i < lesson.steps.length);
    const current = clampPosition(lesson, deepLinkStep ?? saved?.current ?? firstPosition(lesson));
    this.progress = { current, completed, updatedAt: saved?.updatedAt ?? '' };
    return this.progress;
  }

  /**
   * Prepares the guest for the current lesson: places lab.files and assets
   * that are missing (existing ones are the learner's and are kept), then starts
   * the intro's background script. Resolves once the files are placed.
   */
  async open(lesson: Lesson = this.requireLesson()): Promise<void> {
    if (this.lesson !== lesson) await this.load(lesson);
    const vm = this.getVm();
    if (!vm) return;
    if (lesson.files.length > 0) {
      const list = lesson.files.map((f) => shellQuote(f.path)).join(' ');
      const r = await vm.exec(`for p in ${list}; do [ -e "$p" ] || printf '%s\\n' "$p"; done`, { timeoutMs: 30_000, background: true });
      const missing = new Set(r.stdout.split('\n').filter(Boolean));
      for (const f of lesson.files) if (missing.has(f.path)) await vm.writeFile(f.path, f.data, f.mode);
    }
    this.setup = this.background(vm, lesson, 0, lesson.intro?.background ?? null);
  }

  /** Puts a lesson file back as the lesson ships it (the editor's "Restore"). */
  async restoreFile(path: string): Promise<Uint8Array> {
    const vm = this.requireVm();
    const f = this.requireLesson().files.find((x) => x.path === path);
    if (!f) throw new Error(`${path} is not a file of this lesson.`);
    await vm.writeFile(f.path, f.data, f.mode);
    return f.data;
  }

  /**
   * Goes to a page: remembers it, then (once per guest) runs its background
   * script without waiting for it and types its foreground script.
   */
  async openPage(position: number): Promise<void> {
    const lesson = this.requireLesson();
    position = clampPosition(lesson, position);
    this.progress = { ...this.progress, current: position };
    await this.persist();
    const vm = this.getVm();
    const page = pageAt(lesson, position);
    if (!vm || !page) return;
    if (position > 0) {
      const setup = this.setup;
      void setup.then(() => this.background(vm, lesson, position, page.background));
    }
    if (page.foreground && (await this.firstTime(vm, lesson, `${pageKey(lesson, position)}.foreground`))) {
      // Typed like a learner would: the shebang is noise at a prompt.
      const lines = page.foreground.replace(/\r\n?/g, '\n').replace(/^#!.*\n/, '').trimEnd();
      if (lines) void vm.write(`${lines.replace(/\n/g, '\r')}\r`);
    }
  }

  /** Opens step i (0-based). */
  openStep(i: number): Promise<void> {
    return this.openPage(i + 1);
  }

  /** Types a command into the learner's terminal, so they see exactly what runs. */
  run(command: string, options: { interrupt?: boolean } = {}): void {
    const vm = this.requireVm();
    if (options.interrupt) void vm.write('\x03');
    void vm.write(`${command.replace(/\r?\n/g, '\r')}\r`);
  }

  /** Runs step i's check: lab.check if given, else verify.sh. Exit 0 within 60 s passes. */
  async check(i: number): Promise<CheckResult> {
    const step = this.requireLesson().steps[i];
    if (!step) throw new Error(`The lesson has no step ${i + 1}.`);
    const t0 = Date.now();
    const fail = (why: string): CheckResult => ({ passed: false, output: why, exitCode: -1, timedOut: false, ms: Date.now() - t0 });
    const vm = this.getVm();
    if (!vm) return fail('The lab machine is not ready yet.');
    let command: string;
    if (step.check !== null) command = step.check;
    else if (step.verify !== null) {
      const path = `/tmp/lab-verify-${i}.sh`;
      try {
        await vm.writeFile(path, step.verify, 0o755);
      } catch (err) {
        return fail(`The check could not be put in place: ${messageOf(err)}`);
      }
      command = `bash ${path}`;
    } else return { passed: true, output: '', exitCode: 0, timedOut: false, ms: 0 };
    try {
      const r = await vm.exec(command, { timeoutMs: CHECK_TIMEOUT_MS });
      let out = output(r);
      if (r.timedOut) out = `${out}\nThe check took longer than ${CHECK_TIMEOUT_MS / 1000} s and was stopped.`.trim();
      return { passed: r.exitCode === 0 && !r.timedOut, output: out, exitCode: r.exitCode, timedOut: r.timedOut, ms: r.ms };
    } catch (err) {
      return fail(`The check could not run: ${messageOf(err)}`);
    }
  }

  /** Records step i as done. */
  async complete(i: number): Promise<void> {
    if (this.progress.completed.includes(i)) return;
    this.progress = { ...this.progress, completed: [...this.progress.completed, i].sort((a, b) => a - b) };
    await this.persist();
  }

  /** Forgets this lesson's progress (the guest's markers stay with the guest). */
  async reset(): Promise<void> {
    const lesson = this.requireLesson();
    await this.store.clear(lesson.id).catch(() => undefined);
    this.progress = { current: firstPosition(lesson), completed: [], updatedAt: '' };
  }

  private async persist(): Promise<void> {
    const lesson = this.lesson;
    if (!lesson) return;
    this.progress = { ...this.progress, updatedAt: new Date().toISOString() };
    // Losing progress is a nuisance, not a reason to stop the lesson.
    await this.store.save(lesson.id, this.progress).catch(() => undefined);
  }

  /** True the first time per guest; records it in a marker file. */
  private async firstTime(vm: LessonVm, lesson: Lesson, what: string): Promise<boolean> {
    const dir = `${MARKER_DIR}/${lesson.id.replace(/[^A-Za-z0-9._-]/g, '_')}`;
    const marker = shellQuote(`${dir}/${what}`);
    try {
      const r = await vm.exec(`[ -e ${marker} ] && exit 3; mkdir -p ${shellQuote(dir)} && : > ${marker}`, { timeoutMs: 30_000, background: true });
      return r.exitCode === 0;
    } catch {
      return false;
    }
  }

  private async background(vm: LessonVm, lesson: Lesson, position: number, script: string | null): Promise<void> {
    if (!script || !(await this.firstTime(vm, lesson, `${pageKey(lesson, position)}.background`))) return;
    const report = (state: ScriptReport['state'], out: string) => this.options.onBackground?.({ position, state, output: out });
    report('running', '');
    const path = `/tmp/lab-background-${pageKey(lesson, position)}.sh`;
    try {
      await vm.writeFile(path, script, 0o755);
      const r = await vm.exec(`bash ${path}`, { timeoutMs: BACKGROUND_TIMEOUT_MS });
      const ok = r.exitCode === 0 && !r.timedOut;
      report(ok ? 'done' : 'failed', r.timedOut ? `${output(r)}\nStopped after ${BACKGROUND_TIMEOUT_MS / 60_000} minutes.`.trim() : output(r));
    } catch (err) {
      report('failed', messageOf(err));
    }
  }

  private requireLesson(): Lesson {
    if (!this.lesson) throw new Error('No lesson is open.');
    return this.lesson;
  }

  private requireVm(): LessonVm {
    const vm = this.getVm();
    if (!vm) throw new Error('The lab machine is not ready yet.');
    return vm;
  }
}
