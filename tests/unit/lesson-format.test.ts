import { describe, expect, it } from 'vitest';
import {
  MAX_SCRIPT_BYTES,
  firstInvalidUtf8,
  missingImages,
  normaliseImageRef,
  validateLesson,
  type Lesson,
  type LessonIssue,
  type ValidationResult,
} from '../../web/lessons/format';

function files(entries: Record<string, string | Uint8Array>): Map<string, string | Uint8Array> {
  return new Map(Object.entries(entries));
}

function index(obj: unknown): string {
  return JSON.stringify(obj, null, 2);
}

function ok(r: ValidationResult): Lesson {
  if ('errors' in r) throw new Error(`expected a lesson, got errors: ${JSON.stringify(r.errors)}`);
  return r.lesson;
}

function errorsOf(r: ValidationResult): LessonIssue[] {
  if (!('errors' in r)) throw new Error('expected errors, got a lesson');
  return r.errors;
}

const GOOD = {
  title: 'Containers 101',
  description: 'First steps',
  details: {
    intro: { text: 'intro.md', background: 'intro/setup.sh' },
    steps: [
      { title: 'Run one', text: 'step1/text.md', verify: 'step1/verify.sh', background: 'step1/background.sh' },
      { title: 'Edit', text: 'step2.md', lab: { check: 'test -s /root/app.py', checkText: 'app.py is not empty' } },
    ],
    finish: { text: 'finish.md' },
  },
  backend: { imageid: 'ubuntu' },
  lab: {
    format: 1,
    files: [{ path: '/root/containers-101/app.py', source: 'files/app.py', mode: '0755', editable: true }],
    images: ['python:3.11-slim', 'nginx'],
    needs: ['internet'],
  },
};

const GOOD_FILES = {
  'index.json': index(GOOD),
  'intro.md': '# Hi',
  'intro/setup.sh': 'echo setup',
  'step1/text.md': 'Run `docker ps`{{exec}}',
  'step1/verify.sh': '#!/bin/bash\ndocker ps -a -q | grep -q .',
  'step1/background.sh': 'true',
  'step2.md': 'Edit the file.',
  'finish.md': 'Done.',
  'files/app.py': 'print("hi")\n',
};

describe('validateLesson', () => {
  it('resolves a good lesson: pages, scripts, checks and lab extensions', () => {
    const r = validateLesson(files(GOOD_FILES), { id: 'containers-101' });
    const lesson = ok(r);
    expect(r.warnings).toEqual([]);
    expect(lesson.id).toBe('containers-101');
    expect(lesson.title).toBe('Containers 101');
    expect(lesson.intro).toMatchObject({ title: 'Introduction', text: '# Hi', background: 'echo setup', foreground: null });
    expect(lesson.steps).toHaveLength(2);
    expect(lesson.steps[0]).toMatchObject({ title: 'Run one', textPath: 'step1/text.md', verify: '#!/bin/bash\ndocker ps -a -q | grep -q .', check: null });
    expect(lesson.steps[1]).toMatchObject({ verify: null, check: 'test -s /root/app.py', checkText: 'app.py is not empty' });
    expect(lesson.finish?.text).toBe('Done.');
    expect(lesson.files).toEqual([
      { path: '/root/containers-101/app.py', data: new TextEncoder().encode('print("hi")\n'), mode: 0o755, editable: true, source: 'files/app.py' },
    ]);
    expect(lesson.images).toEqual(['python:3.11-slim', 'nginx']);
    expect(lesson.needs).toEqual(['internet']);
    expect(lesson.cannotHonour).toEqual([]);
  });

  it('defaults the id to a slug of the title', () => {
    expect(ok(validateLesson(files(GOOD_FILES))).id).toBe('containers-101');
  });

  it('reports a missing index.json, and points at one in a subfolder', () => {
    expect(errorsOf(validateLesson(files({ 'intro.md': 'x' })))).toEqual([
      { file: 'index.json', message: 'The lesson has no index.json at its top level.' },
    ]);
    const nested = errorsOf(validateLesson(files({ 'scenario/index.json': '{}' })));
    expect(nested[0].message).toMatch(/subfolder/);
  });

  it('reports bad JSON with the line of the mistake', () => {
    const text = '{\n  "title": "x",\n  "details": {\n    "steps": [,]\n  }\n}\n';
    const errs = errorsOf(validateLesson(files({ 'index.json': text })));
    expect(errs).toHaveLength(1);
    expect(errs[0].file).toBe('index.json');
    expect(errs[0].line).toBe(4);
    expect(errs[0].message).toMatch(/not valid JSON/);
  });

  it('reports bad JSON at the end (truncated file) on the last line', () => {
    const errs = errorsOf(validateLesson(files({ 'index.json': '{\n  "title": "x",\n' })));
    expect(errs[0].line).toBe(3);
  });

  it('reports a step file that is not in the folder, with the line in index.json', () => {
    const bad = structuredClone(GOOD);
    bad.details.steps[1].text = 'step3.md';
    const errs = errorsOf(validateLesson(files({ ...GOOD_FILES, 'index.json': index(bad) })));
    expect(errs).toHaveLength(1);
    expect(errs[0].file).toBe('index.json');
    expect(errs[0].message).toMatch(/"step3\.md" is not in the lesson folder/);
    const line = index(bad).split('\n').findIndex((l) => l.includes('"step3.md"')) + 1;
    expect(errs[0].line).toBe(line);
  });

  it('reports a step without a text file', () => {
    const bad = structuredClone(GOOD) as { details: { steps: Array<Record<string, unknown>> } };
    delete bad.details.steps[1].text;
    const errs = errorsOf(validateLesson(files({ ...GOOD_FILES, 'index.json': index(bad) })));
    expect(errs.map((e) => e.message)).toEqual(['step 2 has no "text" (its Markdown file).']);
  });

  it('refuses a verify script over 64 KiB', () => {
    const big = `#!/bin/bash\n${'# padding\n'.repeat(MAX_SCRIPT_BYTES / 10)}exit 0\n`;
    const errs = errorsOf(validateLesson(files({ ...GOOD_FILES, 'step1/verify.sh': big })));
    expect(errs).toHaveLength(1);
    expect(errs[0].file).toBe('step1/verify.sh');
    expect(errs[0].message).toMatch(/at most 65536 bytes/);
  });

  it('accepts a script of exactly 64 KiB', () => {
    const exact = 'x'.repeat(MAX_SCRIPT_BYTES);
    ok(validateLesson(files({ ...GOOD_FILES, 'step1/verify.sh': exact })));
  });

  it('refuses non-UTF-8 text, naming the file and line', () => {
    const latin1 = new Uint8Array([...new TextEncoder().encode('line one\nCaf'), 0xe9, 0x0a]);
    const errs = errorsOf(validateLesson(files({ ...GOOD_FILES, 'step2.md': latin1 })));
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({ file: 'step2.md', line: 2 });
    expect(errs[0].message).toMatch(/not UTF-8/);
  });

  it('refuses an editable file that is not text, but accepts binary non-editable files', () => {
    const bin = new Uint8Array([0xff, 0xfe, 0x00, 0x01]);
    const errs = errorsOf(validateLesson(files({ ...GOOD_FILES, 'files/app.py': bin })));
    expect(errs[0]).toMatchObject({ file: 'files/app.py', message: 'is marked editable but is not UTF-8 text.' });
    const g = structuredClone(GOOD);
    g.lab.files[0].editable = false;
    expect(ok(validateLesson(files({ ...GOOD_FILES, 'index.json': index(g), 'files/app.py': bin }))).files[0].data).toEqual(bin);
  });

  it('treats unknown keys as warnings, not errors', () => {
    const g = { ...structuredClone(GOOD), colour: 'blue', lab: { ...GOOD.lab, extra: 1 } };
    const r = validateLesson(files({ ...GOOD_FILES, 'index.json': index(g) }));
    ok(r);
    expect(r.warnings.map((w) => w.message)).toEqual([
      'unknown key "colour" in index.json is ignored.',
      'unknown key "extra" in "lab" is ignored.',
    ]);
    expect(r.warnings[0].line).toBeGreaterThan(1);
  });

  it('refuses a lab format newer than it reads, and bad lab.files entries', () => {
    const newer = structuredClone(GOOD);
    newer.lab.format = 2;
    expect(errorsOf(validateLesson(files({ ...GOOD_FILES, 'index.json': index(newer) })))[0].message).toMatch(/format 2/);
    const relative = structuredClone(GOOD);
    relative.lab.files[0].path = 'app.py';
    expect(errorsOf(validateLesson(files({ ...GOOD_FILES, 'index.json': index(relative) })))[0].message).toMatch(/absolute path/);
    const badMode = structuredClone(GOOD);
    badMode.lab.files[0].mode = 'rwx';
    expect(errorsOf(validateLesson(files({ ...GOOD_FILES, 'index.json': index(badMode) })))[0].message).toMatch(/octal/);
    const noSource = structuredClone(GOOD);
    noSource.lab.files[0].source = 'files/missing.py';
    expect(errorsOf(validateLesson(files({ ...GOOD_FILES, 'index.json': index(noSource) })))[0].message).toMatch(/files\/missing\.py/);
  });

  it('lists what it cannot honour: other backends, IDE layouts, traffic links, second hosts', () => {
    const kc = {
      title: 'K8s',
      details: {
        steps: [{ text: 'step1.md' }],
        assets: { host01: [{ file: 'run.sh', target: '~/bin', chmod: '+x' }], host02: [{ file: 'run.sh', target: '/x' }] },
      },
      backend: { imageid: 'kubernetes-kubeadm-2nodes' },
      interface: { layout: 'ide' },
    };
    const lesson = ok(
      validateLesson(files({ 'index.json': index(kc), 'step1.md': '[open]({{TRAFFIC_HOST1_80}})', 'assets/run.sh': 'echo run' })),
    );
    expect(lesson.cannotHonour).toHaveLength(4);
    expect(lesson.cannotHonour.join('\n')).toMatch(/kubernetes-kubeadm-2nodes/);
    expect(lesson.cannotHonour.join('\n')).toMatch(/"ide" layout/);
    expect(lesson.cannotHonour.join('\n')).toMatch(/traffic links/);
    expect(lesson.cannotHonour.join('\n')).toMatch(/host02/);
    expect(lesson.files).toMatchObject([{ path: '/root/bin/run.sh', mode: 0o755, source: 'assets/run.sh' }]);
  });

  it('places Killercoda asset globs below their target, keeping subfolders', () => {
    const kc = {
      details: { steps: [{ text: 's.md' }], assets: { host01: [{ file: 'app1/**/*.json', target: '/app1' }, { file: '*', target: '/all' }] } },
    };
    const lesson = ok(
      validateLesson(
        files({ 'index.json': index(kc), 's.md': 'x', 'assets/app1/config/a.json': '{}', 'assets/app1/b.json': '{}', 'assets/conf.yaml': 'a: 1' }),
      ),
    );
    expect(lesson.files.map((f) => f.path).sort()).toEqual(['/all/conf.yaml', '/app1/b.json', '/app1/config/a.json']);
  });
});

describe('helpers', () => {
  it('finds the first invalid UTF-8 byte', () => {
    const enc = new TextEncoder();
    expect(firstInvalidUtf8(enc.encode('plain ascii, é, 中文, 🐳'))).toBe(-1);
    expect(firstInvalidUtf8(new Uint8Array([0x61, 0xc3]))).toBe(1); // cut short
    expect(firstInvalidUtf8(new Uint8Array([0xc0, 0xaf]))).toBe(0); // overlong
    expect(firstInvalidUtf8(new Uint8Array([0xed, 0xa0, 0x80]))).toBe(0); // surrogate
    expect(firstInvalidUtf8(new Uint8Array([0x61, 0x62, 0x80]))).toBe(2); // stray continuation
  });

  it('compares image refs the way Docker names them', () => {
    expect(normaliseImageRef('nginx')).toBe('nginx:latest');
    expect(normaliseImageRef('docker.io/library/redis:7.0')).toBe('redis:7.0');
    expect(normaliseImageRef('localhost:5000/app')).toBe('localhost:5000/app:latest');
    const catalog = [{ ref: 'nginx:latest' }, { ref: 'python:3.11-slim' }, { ref: 'busybox:1.35', digest: 'sha256:abc' }];
    expect(missingImages(['nginx', 'python:3.11-slim', 'postgres:16', 'busybox@sha256:abc'], catalog)).toEqual(['postgres:16']);
  });
});
