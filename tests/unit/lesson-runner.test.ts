// The runner against a fake VM: what it sends to the guest, in which order.
// (The e2e spec drives the same runner against the real guest.)
import { describe, expect, it } from 'vitest';
import type { ExecOptions, ExecResult } from '../../workers/protocol';
import { validateLesson, type Lesson } from '../../web/lessons/format';
import { memoryProgressStore } from '../../web/lessons/progress';
import { LessonRunner, deepLinkSearch, parseDeepLink, shellQuote, type LessonVm, type ScriptReport } from '../../web/lessons/runner';

class FakeVm implements LessonVm {
  calls: string[] = [];
  typed = '';
  files = new Map<string, { data: string; mode?: number }>();
  /** Decides exit codes for exec'd commands. */
  exitCode: (command: string) => number = () => 0;

  async exec(command: string, options?: ExecOptions): Promise<ExecResult> {
    this.calls.push(`exec ${command} (${options?.timeoutMs ?? '-'})`);
    // The marker and "which files are missing" commands, emulated.
    const marker = /^\[ -e '([^']+)' \] && exit 3;/.exec(command);
    if (marker) {
      if (this.files.has(marker[1])) return this.result(3, '');
      this.files.set(marker[1], { data: '' });
      return this.result(0, '');
    }
    if (command.startsWith('for p in ')) {
      const paths = [...command.matchAll(/'([^']+)'/g)].map((m) => m[1]);
      return this.result(0, paths.filter((p) => !this.files.has(p)).map((p) => `${p}\n`).join(''));
    }
    const code = this.exitCode(command);
    return this.result(code, code === 0 ? '' : 'no container named imported yet\n');
  }

  async writeFile(path: string, data: Uint8Array | string, mode?: number): Promise<void> {
    this.calls.push(`write ${path} ${mode?.toString(8)}`);
    this.files.set(path, { data: typeof data === 'string' ? data : new TextDecoder().decode(data), mode });
  }

  async readFile(path: string): Promise<Uint8Array> {
    return new TextEncoder().encode(this.files.get(path)?.data ?? '');
  }

  write(data: string): void {
    this.typed += data;
  }

  private result(exitCode: number, stdout: string): ExecResult {
    return { exitCode, stdout, stderr: '', ms: 1, timedOut: false, truncated: false };
  }
}

function lesson(): Lesson {
  const index = {
    title: 'Runner',
    details: {
      intro: { text: 'intro.md', background: 'setup.sh' },
      steps: [
        { text: 's1.md', verify: 'verify1.sh', foreground: 'fg1.sh' },
        { text: 's2.md', lab: { check: 'test -e /root/x' } },
      ],
      finish: { text: 'finish.md' },
    },
    lab: { format: 1, files: [{ path: '/root/app/app.py', source: 'app.py', editable: true }] },
  };
  const r = validateLesson(
    new Map(
      Object.entries({
        'index.json': JSON.stringify(index),
        'intro.md': 'i',
        's1.md': 's1',
        's2.md': 's2',
        'finish.md': 'f',
        'setup.sh': 'echo setup',
        'verify1.sh': 'docker ps -a --filter name=imported -q | grep -q .',
        'fg1.sh': '#!/bin/bash\necho one\necho two\n',
        'app.py': 'print(1)\n',
      }),
    ),
    { id: 'runner' },
  );
  if ('errors' in r) throw new Error(JSON.stringify(r.errors));
  return r.lesson;
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('LessonRunner', () => {
  it('places missing files once, keeps the learner\'s, and runs the intro setup once per guest', async () => {
    const vm = new FakeVm();
    const reports: ScriptReport[] = [];
    const runner = new LessonRunner(() => vm, { store: memoryProgressStore(), onBackground: (r) => reports.push(r) });
    const l = lesson();
    await runner.load(l);
    await runner.open(l);
    await flush();
    expect(vm.files.get('/root/app/app.py')).toEqual({ data: 'print(1)\n', mode: 0o644 });
    expect(vm.calls).toContain('exec bash /tmp/lab-background-intro.sh (600000)');
    expect(reports.map((r) => r.state)).toEqual(['running', 'done']);

    vm.files.set('/root/app/app.py', { data: 'edited' });
    vm.calls = [];
    await runner.open(l);
    await flush();
    expect(vm.files.get('/root/app/app.py')?.data).toBe('edited');
    expect(vm.calls.filter((c) => c.startsWith('write') || c.includes('lab-background'))).toEqual([]);
  });

  it('types a command as the learner would, with Ctrl+C first for interrupt', () => {
    const vm = new FakeVm();
    const runner = new LessonRunner(() => vm, { store: memoryProgressStore() });
    runner.run('docker ps -a\ndocker images');
    runner.run('whoami', { interrupt: true });
    expect(vm.typed).toBe('docker ps -a\rdocker images\r\x03whoami\r');
  });

  it('types a step\'s foreground script once, without its shebang', async () => {
    const vm = new FakeVm();
    const runner = new LessonRunner(() => vm, { store: memoryProgressStore() });
    await runner.load(lesson());
    await runner.openStep(0);
    await runner.openStep(0);
    expect(vm.typed).toBe('echo one\recho two\r');
  });

  it('checks with verify.sh written to /tmp, or with lab.check, under a 60 s limit', async () => {
    const vm = new FakeVm();
    let created = false;
    vm.exitCode = (cmd) => (cmd === 'bash /tmp/lab-verify-0.sh' && !created ? 1 : 0);
    const runner = new LessonRunner(() => vm, { store: memoryProgressStore() });
    await runner.load(lesson());
    const before = await runner.check(0);
    expect(before).toMatchObject({ passed: false, exitCode: 1, output: 'no container named imported yet' });
    expect(vm.files.get('/tmp/lab-verify-0.sh')).toEqual({ data: 'docker ps -a --filter name=imported -q | grep -q .', mode: 0o755 });
    created = true;
    expect(await runner.check(0)).toMatchObject({ passed: true });
    expect(vm.calls).toContain('exec bash /tmp/lab-verify-0.sh (60000)');
    await runner.check(1);
    expect(vm.calls).toContain('exec test -e /root/x (60000)');
  });

  it('reports a check that cannot run instead of throwing', async () => {
    const runner = new LessonRunner(() => null, { store: memoryProgressStore() });
    await runner.load(lesson());
    expect(await runner.check(0)).toMatchObject({ passed: false, output: 'The lab machine is not ready yet.' });
  });

  it('saves and restores progress per lesson; a deep-linked step wins', async () => {
    const store = memoryProgressStore();
    const vm = new FakeVm();
    const a = new LessonRunner(() => vm, { store });
    await a.load(lesson());
    await a.openStep(1);
    await a.complete(0);
    const b = new LessonRunner(() => vm, { store });
    expect(await b.load(lesson())).toMatchObject({ current: 2, completed: [0] });
    expect(await b.load(lesson(), 1)).toMatchObject({ current: 1, completed: [0] });
    expect(await b.load(lesson(), 99)).toMatchObject({ current: 3 });
  });
});

describe('deep links and quoting', () => {
  it('reads and writes ?lesson=&step=, keeping other parameters', () => {
    expect(parseDeepLink('?lesson=hello-lab&step=2')).toEqual({ lesson: 'hello-lab', step: 2 });
    expect(parseDeepLink('?step=x')).toEqual({ lesson: null, step: null });
    expect(deepLinkSearch('?guest=http%3A%2F%2Fx%2F', 'hello-lab', 1)).toBe('?guest=http%3A%2F%2Fx%2F&lesson=hello-lab&step=1');
    expect(deepLinkSearch('?lesson=a&step=3', null, null)).toBe('');
  });

  it('quotes for sh', () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
});
