// The lesson format: Killercoda's scenario format (index.json + one Markdown
// file per step + verify/background/foreground scripts) plus our optional
// extensions under a top-level "lab" key. This module holds the types and the
// validator; it is pure and DOM-free so it can be unit-tested in Node and
// reused by tools. lessons/README.md documents the format for authors.

import { parse as parseLoosely, printParseErrorCode, type ParseError } from 'jsonc-parser';

/** The version of the "lab" extension this code reads. */
export const LAB_FORMAT_VERSION = 1;
/** Scripts are sent over the agent's serial line and run in a 60 s check: big ones are mistakes. */
export const MAX_SCRIPT_BYTES = 64 * 1024;

// ---- index.json as written ----

export interface ScenarioIndex {
  title?: string;
  description?: string;
  details?: {
    intro?: PageRef;
    steps?: StepRef[];
    finish?: PageRef;
    /** Killercoda: files from assets/ copied onto a host (host01 is the lab machine). */
    assets?: Record<string, AssetRef[]>;
  };
  backend?: { imageid?: string };
  interface?: { layout?: string };
  lab?: LabExtension;
}

export interface PageRef {
  title?: string;
  /** Markdown file, relative to the scenario folder. */
  text?: string;
  /** Script run (hidden) when the page opens. */
  background?: string;
  /** Script typed into the learner's terminal when the page opens. */
  foreground?: string;
}

export interface StepRef extends PageRef {
  /** Script whose exit code decides whether the step is done. */
  verify?: string;
  lab?: StepLabExtension;
}

export interface AssetRef {
  /** Path or glob (*, **) relative to assets/. */
  file: string;
  /** Directory on the host; "~" is /root. */
  target: string;
  /** "+x" makes the file executable. */
  chmod?: string;
}

/** Our extensions, all optional. */
export interface LabExtension {
  format: number;
  /** Placed in the guest when the lesson opens (missing ones only: the learner's edits survive). */
  files?: LabFileRef[];
  /** Image refs the lesson needs; missing ones (vs. the guest manifest) are listed up front. */
  images?: string[];
  /** Things the offline lab cannot provide, e.g. "internet", "second-host"; listed up front. */
  needs?: string[];
}

export interface LabFileRef {
  /** Absolute path in the guest. */
  path: string;
  /** File in the lesson folder. */
  source: string;
  /** Octal string ("0644") or number; default 0644. */
  mode?: string | number;
  /** Shown in the file editor. */
  editable?: boolean;
}

export interface StepLabExtension {
  /** Shell command run via exec; exit 0 = pass. Used instead of verify.sh when both are given. */
  check?: string;
  /** What the check verifies, in words, shown when it fails. */
  checkText?: string;
}

// ---- the validated, resolved lesson ----

export interface LessonPage {
  title: string;
  /** The Markdown source. */
  text: string;
  /** Where the Markdown came from (images are relative to it). */
  textPath: string;
  background: string | null;
  foreground: string | null;
}

export interface LessonStep extends LessonPage {
  verify: string | null;
  check: string | null;
  checkText: string | null;
}

export interface LessonFile {
  path: string;
  data: Uint8Array;
  mode: number;
  editable: boolean;
  /** Where it came from in the lesson folder. */
  source: string;
}

export interface Lesson {
  id: string;
  title: string;
  description: string;
  intro: LessonPage | null;
  steps: LessonStep[];
  finish: LessonPage | null;
  files: LessonFile[];
  images: string[];
  needs: string[];
  /** Things the scenario asks for that this lab cannot do, in words for the learner. */
  cannotHonour: string[];
  /** Every file of the lesson folder, for images referenced from Markdown. */
  assets: ReadonlyMap<string, Uint8Array>;
}

export interface LessonIssue {
  file: string;
  line?: number;
  message: string;
}

export type ValidationResult =
  | { lesson: Lesson; warnings: LessonIssue[] }
  | { errors: LessonIssue[]; warnings: LessonIssue[] };

export interface ValidateOptions {
  /** Stable id (folder name for built-ins); defaults to a slug of the title. */
  id?: string;
}

const INDEX = 'index.json';
const TOP_KEYS = new Set(['title', 'description', 'details', 'backend', 'interface', 'lab']);
const DETAILS_KEYS = new Set(['intro', 'steps', 'finish', 'assets']);
const PAGE_KEYS = new Set(['title', 'text', 'background', 'foreground']);
const STEP_KEYS = new Set([...PAGE_KEYS, 'verify', 'lab']);
const LAB_KEYS = new Set(['format', 'files', 'images', 'needs']);
const LAB_FILE_KEYS = new Set(['path', 'source', 'mode', 'editable']);
const STEP_LAB_KEYS = new Set(['check', 'checkText']);
/** Backends whose commands work on our Debian + Docker machine. */
const HONOURED_BACKENDS = new Set(['ubuntu', 'debian']);

const NEEDS_IN_WORDS: Record<string, string> = {
  internet: 'Internet access: the lab machine is offline; only the images built into it can be pulled.',
  'second-host': 'A second machine: the lab has one machine only.',
};

/** Turns a "needs" entry into a sentence for the learner. */
export function describeNeed(need: string): string {
  return NEEDS_IN_WORDS[need] ?? need;
}

/** Normalises a lesson-relative path: no leading "./" or "/", no "." segments, ".." resolved. */
export function normalisePath(p: string): string {
  const out: string[] = [];
  for (const seg of p.replace(/\\/g, '/').split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return out.join('/');
}

export function dirname(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

/** Offset of the first byte that is not valid UTF-8, or -1. TextDecoder's fatal mode cannot say where. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    // n continuation bytes follow; min is the smallest code point that needs them.
    const [n, min] = b >= 0xc2 && b <= 0xdf ? [1, 0x80] : b >= 0xe0 && b <= 0xef ? [2, 0x800] : b >= 0xf0 && b <= 0xf4 ? [3, 0x10000] : [0, 0];
    if (n === 0 || i + n >= bytes.length) return i;
    let cp = b & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const c = bytes[i + k];
      if ((c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8.
    if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return i;
    i += n + 1;
  }
  return -1;
}

function lineAtOffset(text: string | Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if ((typeof text === 'string' ? text.charCodeAt(i) : text[i]) === 10) line++;
  }
  return line;
}

/**
 * Where a JSON text goes wrong, as line and message. JSON.parse's messages
 * differ between engines and V8's often carry no position, so jsonc-parser
 * (strict: no comments, no trailing commas) locates the first error instead.
 */
export function jsonErrorAt(text: string): { line: number; message: string } | null {
  const errors: ParseError[] = [];
  parseLoosely(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  if (!first) return null;
  // "PropertyNameExpected" → "property name expected"
  const words = printParseErrorCode(first.error).replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return { line: lineAtOffset(text, first.offset), message: words };
}

function slug(s: string): string {
  return (
    s
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 48) || 'lesson'
  );
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      const slash = glob[i + 2] === '/';
      re += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Normalises an image ref for comparison: docker.io/library/ dropped, ":latest" added. */
export function normaliseImageRef(ref: string): string {
  let r = ref.trim().replace(/^docker\.io\//, '').replace(/^library\//, '');
  if (r.includes('@')) return r;
  const lastSlash = r.lastIndexOf('/');
  if (!r.slice(lastSlash + 1).includes(':')) r += ':latest';
  return r;
}

/** The lesson's images that the guest's catalog (manifest images[].ref and digests) does not have. */
export function missingImages(wanted: readonly string[], catalog: ReadonlyArray<{ ref: string; digest?: string }>): string[] {
  const have = new Set<string>();
  for (const img of catalog) {
    have.add(normaliseImageRef(img.ref));
    if (img.digest) have.add(`${normaliseImageRef(img.ref).split(':')[0]}@${img.digest}`);
  }
  return wanted.filter((w) => !have.has(normaliseImageRef(w)));
}

/**
 * Checks a lesson folder and resolves it into a Lesson. Problems that make the
 * lesson unusable are errors (with file and, where known, line); things we
 * merely do not know are warnings.
 */
export function validateLesson(input: ReadonlyMap<string, Uint8Array | string>, options: ValidateOptions = {}): ValidationResult {
  const errors: LessonIssue[] = [];
  const warnings: LessonIssue[] = [];
  const files = new Map<string, Uint8Array>();
  const encoder = new TextEncoder();
  for (const [name, data] of input) files.set(normalisePath(name), typeof data === 'string' ? encoder.encode(data) : data);

  const decoder = new TextDecoder('utf-8');
  /** Decodes a text file of the lesson, or records why it cannot. */
  const text = (file: string, what: string, indexLine?: number): string | null => {
    const bytes = files.get(normalisePath(file));
    if (!bytes) {
      errors.push({ file: INDEX, line: indexLine, message: `${what} "${file}" is not in the lesson folder.` });
      return null;
    }
    const bad = firstInvalidUtf8(bytes);
    if (bad >= 0) {
      errors.push({
        file: normalisePath(file),
        line: lineAtOffset(bytes, bad),
        message: `is not UTF-8 text (byte ${bad} is 0x${bytes[bad].toString(16).padStart(2, '0')}); save it as UTF-8.`,
      });
      return null;
    }
    return decoder.decode(bytes).replace(/^\uFEFF/, '');
  };

  const indexBytes = files.get(INDEX);
  if (!indexBytes) {
    const hint = [...files.keys()].some((k) => k.endsWith('/index.json')) ? ' (it is in a subfolder: import that folder instead)' : '';
    return { errors: [{ file: INDEX, message: `The lesson has no index.json at its top level${hint}.` }], warnings };
  }
  const indexText = text(INDEX, 'index.json');
  if (indexText === null) return { errors, warnings };
  let raw: unknown;
  try {
    raw = JSON.parse(indexText);
  } catch (err) {
    const at = jsonErrorAt(indexText);
    const msg = at?.message ?? (err instanceof Error ? err.message : String(err));
    return { errors: [{ file: INDEX, line: at?.line, message: `is not valid JSON: ${msg}` }], warnings };
  }
  if (!isRecord(raw)) return { errors: [{ file: INDEX, line: 1, message: 'must hold a JSON object.' }], warnings };

  /** Line in index.json where a quoted value or key first appears; good enough to point an author at it. */
  const lineOf = (needle: string): number | undefined => {
    const at = indexText.indexOf(JSON.stringify(needle));
    return at < 0 ? undefined : lineAtOffset(indexText, at);
  };
  const unknownKeys = (obj: Record<string, unknown>, known: Set<string>, where: string) => {
    for (const key of Object.keys(obj)) {
      if (!known.has(key)) warnings.push({ file: INDEX, line: lineOf(key), message: `unknown key "${key}" in ${where} is ignored.` });
    }
  };
  const str = (obj: Record<string, unknown>, key: string, where: string): string | undefined => {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v;
    errors.push({ file: INDEX, line: lineOf(key), message: `${where}.${key} must be a string.` });
    return undefined;
  };
  const script = (ref: string | undefined, what: string): string | null => {
    if (!ref) return null;
    const bytes = files.get(normalisePath(ref));
    if (bytes && bytes.length > MAX_SCRIPT_BYTES) {
      errors.push({
        file: normalisePath(ref),
        message: `${what} is ${bytes.length} bytes; scripts may be at most ${MAX_SCRIPT_BYTES} bytes (64 KiB).`,
      });
      return null;
    }
    return text(ref, what, lineOf(ref));
  };

  unknownKeys(raw, TOP_KEYS, 'index.json');
  const cannotHonour: string[] = [];
  const title = str(raw, 'title', 'index.json');
  if (!title) warnings.push({ file: INDEX, message: 'has no "title".' });
  const description = str(raw, 'description', 'index.json') ?? '';

  const details = raw.details ?? {};
  if (!isRecord(details)) {
    errors.push({ file: INDEX, line: lineOf('details'), message: '"details" must be an object.' });
    return { errors, warnings };
  }
  unknownKeys(details, DETAILS_KEYS, '"details"');

  const page = (ref: unknown, where: string, fallbackTitle: string, keys: Set<string>): LessonPage | null => {
    if (ref === undefined || ref === null) return null;
    if (!isRecord(ref)) {
      errors.push({ file: INDEX, message: `${where} must be an object.` });
      return null;
    }
    unknownKeys(ref, keys, where);
    const textRef = str(ref, 'text', where);
    if (!textRef) {
      errors.push({ file: INDEX, message: `${where} has no "text" (its Markdown file).` });
      return null;
    }
    const body = text(textRef, `The Markdown file of ${where}`, lineOf(textRef));
    const background = script(str(ref, 'background', where), `The background script of ${where}`);
    const foreground = script(str(ref, 'foreground', where), `The foreground script of ${where}`);
    if (body === null) return null;
    return { title: str(ref, 'title', where) ?? fallbackTitle, text: body, textPath: normalisePath(textRef), background, foreground };
  };

  const intro = page(details.intro, '"details.intro"', 'Introduction', PAGE_KEYS);
  const finish = page(details.finish, '"details.finish"', 'Finished', PAGE_KEYS);
  const steps: LessonStep[] = [];
  const rawSteps = details.steps ?? [];
  if (!Array.isArray(rawSteps)) {
    errors.push({ file: INDEX, line: lineOf('steps'), message: '"details.steps" must be a list.' });
  } else {
    rawSteps.forEach((ref: unknown, i: number) => {
      const where = `step ${i + 1}`;
      const p = page(ref, where, `Step ${i + 1}`, STEP_KEYS);
      if (!p || !isRecord(ref)) return;
      const verify = script(str(ref, 'verify', where), `The verify script of ${where}`);
      let check: string | null = null;
      let checkText: string | null = null;
      if (ref.lab !== undefined) {
        if (!isRecord(ref.lab)) errors.push({ file: INDEX, message: `${where}: "lab" must be an object.` });
        else {
          unknownKeys(ref.lab, STEP_LAB_KEYS, `${where} "lab"`);
          check = str(ref.lab, 'check', `${where} lab`) ?? null;
          checkText = str(ref.lab, 'checkText', `${where} lab`) ?? null;
          if (check !== null && encoder.encode(check).length > MAX_SCRIPT_BYTES) {
            errors.push({ file: INDEX, line: lineOf('check'), message: `${where}: lab.check is longer than 64 KiB.` });
          }
        }
      }
      steps.push({ ...p, verify, check, checkText });
    });
  }
  if (!intro && steps.length === 0 && errors.length === 0) {
    errors.push({ file: INDEX, message: 'has neither an intro nor any steps: there is nothing to show.' });
  }

  // --- Killercoda fields we honour only partly, or not at all: said, never skipped silently ---
  const backend = raw.backend;
  if (isRecord(backend) && typeof backend.imageid === 'string' && !HONOURED_BACKENDS.has(backend.imageid.toLowerCase())) {
    cannotHonour.push(
      `This scenario was written for Killercoda's "${backend.imageid}" environment. The lab is one Debian machine with Docker, so commands that need that environment will not work.`,
    );
  }
  const iface = raw.interface;
  if (isRecord(iface) && iface.layout !== undefined && iface.layout !== 'terminal') {
    cannotHonour.push(
      `The scenario asks for the "${String(iface.layout)}" layout (IDE tabs); the lab has one terminal and a simple file editor.`,
    );
  }
  const allText = [intro, finish, ...steps].map((p) => p?.text ?? '').join('\n');
  if (/\{\{TRAFFIC_[A-Z0-9_]+\}\}/.test(allText)) {
    cannotHonour.push("Links to the machine's web ports (Killercoda traffic links) do not work here; use curl in the terminal instead.");
  }

  // --- files: ours (lab.files) and Killercoda's assets ---
  const lessonFiles: LessonFile[] = [];
  const assets = details.assets;
  if (assets !== undefined) {
    if (!isRecord(assets)) errors.push({ file: INDEX, line: lineOf('assets'), message: '"details.assets" must be an object.' });
    else {
      for (const [host, list] of Object.entries(assets)) {
        if (host !== 'host01') {
          cannotHonour.push(`Files for a second machine ("${host}") are not placed: the lab has one machine.`);
          continue;
        }
        if (!Array.isArray(list)) {
          errors.push({ file: INDEX, line: lineOf(host), message: `details.assets.${host} must be a list.` });
          continue;
        }
        for (const a of list) lessonFiles.push(...assetFiles(a, files, errors, lineOf));
      }
    }
  }

  let images: string[] = [];
  let needs: string[] = [];
  const lab = raw.lab;
  if (lab !== undefined) {
    if (!isRecord(lab)) errors.push({ file: INDEX, line: lineOf('lab'), message: '"lab" must be an object.' });
    else {
      unknownKeys(lab, LAB_KEYS, '"lab"');
      if (lab.format === undefined) warnings.push({ file: INDEX, line: lineOf('lab'), message: `"lab" has no "format"; reading it as format ${LAB_FORMAT_VERSION}.` });
      else if (typeof lab.format !== 'number' || !Number.isInteger(lab.format) || lab.format < 1) {
        errors.push({ file: INDEX, line: lineOf('format'), message: '"lab.format" must be a whole number (1).' });
      } else if (lab.format > LAB_FORMAT_VERSION) {
        errors.push({
          file: INDEX,
          line: lineOf('format'),
          message: `is written for lab format ${lab.format}; this lab reads format ${LAB_FORMAT_VERSION}. Update the lab.`,
        });
      }
      images = stringList(lab.images, 'lab.images', errors, lineOf);
      needs = stringList(lab.needs, 'lab.needs', errors, lineOf);
      if (lab.files !== undefined) {
        if (!Array.isArray(lab.files)) errors.push({ file: INDEX, line: lineOf('files'), message: '"lab.files" must be a list.' });
        else lab.files.forEach((f: unknown, i: number) => {
          const file = labFile(f, i, files, errors, lineOf, (k, where) => unknownKeys(k, LAB_FILE_KEYS, where));
          if (file) lessonFiles.push(file);
        });
      }
    }
  }

  if (errors.length > 0) return { errors, warnings };
  return {
    lesson: {
      id: options.id ?? slug(title ?? 'lesson'),
      title: title ?? options.id ?? 'Untitled lesson',
      description,
      intro,
      steps,
      finish,
      files: lessonFiles,
      images,
      needs,
      cannotHonour,
      assets: files,
    },
    warnings,
  };
}

function stringList(v: unknown, where: string, errors: LessonIssue[], lineOf: (s: string) => number | undefined): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
    errors.push({ file: INDEX, line: lineOf(where.split('.')[1]), message: `"${where}" must be a list of strings.` });
    return [];
  }
  return v as string[];
}

function parseMode(mode: unknown): number | null {
  if (mode === undefined) return 0o644;
  if (typeof mode === 'number' && Number.isInteger(mode) && mode >= 0 && mode <= 0o7777) return mode;
  if (typeof mode === 'string' && /^0?[0-7]{3,4}$/.test(mode)) return parseInt(mode, 8);
  return null;
}

function labFile(
  f: unknown,
  i: number,
  files: Map<string, Uint8Array>,
  errors: LessonIssue[],
  lineOf: (s: string) => number | undefined,
  unknownKeys: (obj: Record<string, unknown>, where: string) => void,
): LessonFile | null {
  const where = `lab.files[${i}]`;
  if (!isRecord(f)) {
    errors.push({ file: INDEX, line: lineOf('files'), message: `${where} must be an object.` });
    return null;
  }
  unknownKeys(f, where);
  const { path, source, editable } = f;
  if (typeof path !== 'string' || !path.startsWith('/')) {
    errors.push({ file: INDEX, line: typeof path === 'string' ? lineOf(path) : undefined, message: `${where}.path must be an absolute path in the lab machine.` });
    return null;
  }
  if (typeof source !== 'string') {
    errors.push({ file: INDEX, line: lineOf(path), message: `${where}.source must name a file of the lesson.` });
    return null;
  }
  const data = files.get(normalisePath(source));
  if (!data) {
    errors.push({ file: INDEX, line: lineOf(source), message: `${where}: source "${source}" is not in the lesson folder.` });
    return null;
  }
  const mode = parseMode(f.mode);
  if (mode === null) {
    errors.push({ file: INDEX, line: lineOf(path), message: `${where}.mode must be octal like "0644" or "0755".` });
    return null;
  }
  if (editable !== undefined && typeof editable !== 'boolean') {
    errors.push({ file: INDEX, line: lineOf(path), message: `${where}.editable must be true or false.` });
    return null;
  }
  if (editable) {
    const bad = firstInvalidUtf8(data);
    if (bad >= 0) {
      errors.push({ file: normalisePath(source), line: lineAtOffset(data, bad), message: 'is marked editable but is not UTF-8 text.' });
      return null;
    }
  }
  return { path, data, mode, editable: editable === true, source: normalisePath(source) };
}

/**
 * Killercoda assets: files under assets/ matched by path or glob. A plain path
 * lands as target/<name>; a glob keeps the path below its fixed leading folders.
 */
function assetFiles(
  a: unknown,
  files: Map<string, Uint8Array>,
  errors: LessonIssue[],
  lineOf: (s: string) => number | undefined,
): LessonFile[] {
  if (!isRecord(a) || typeof a.file !== 'string' || typeof a.target !== 'string') {
    errors.push({ file: INDEX, line: lineOf('assets'), message: 'each asset needs "file" and "target" strings.' });
    return [];
  }
  const target = a.target.replace(/^~(?=\/|$)/, '/root').replace(/\/+$/, '') || '/';
  if (!target.startsWith('/')) {
    errors.push({ file: INDEX, line: lineOf(a.target), message: `asset target "${a.target}" must be an absolute path or start with ~.` });
    return [];
  }
  const mode = typeof a.chmod === 'string' && a.chmod.includes('x') ? 0o755 : 0o644;
  const pattern = normalisePath(a.file);
  const out: LessonFile[] = [];
  const join = (rel: string) => `${target === '/' ? '' : target}/${rel}`;
  if (!/[*?]/.test(pattern)) {
    const source = `assets/${pattern}`;
    const data = files.get(source);
    if (!data) errors.push({ file: INDEX, line: lineOf(a.file), message: `asset "${a.file}" is not in the assets folder.` });
    else out.push({ path: join(pattern.split('/').pop() ?? pattern), data, mode, editable: false, source });
    return out;
  }
  const re = globToRegExp(pattern);
  const fixed = pattern.split('/');
  const base = fixed.slice(0, fixed.findIndex((s) => /[*?]/.test(s))).join('/');
  for (const [name, data] of files) {
    if (!name.startsWith('assets/')) continue;
    const rel = name.slice('assets/'.length);
    if (!re.test(rel)) continue;
    out.push({ path: join(base ? rel.slice(base.length + 1) : rel), data, mode, editable: false, source: name });
  }
  return out;
}
