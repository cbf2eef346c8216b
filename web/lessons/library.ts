// Which lessons exist and how to get their files: the built-in ones from the
// top-level lessons/<id>/ folders, bundled by Vite, and the ones a learner
// imported, kept in IndexedDB so a reload (or a ?lesson= link) finds them.

import { createStore, del, get, keys, set, type UseStore } from 'idb-keyval';

export type LessonFilesMap = Map<string, Uint8Array | string>;

export interface LessonEntry {
  id: string;
  title: string;
  description: string;
  source: 'builtin' | 'imported';
}

// Every file of every built-in lesson, loaded only when that lesson opens.
// Text as ?raw strings; pictures as ?url (a raw string would mangle their
// bytes) and fetched. Both work in `vite` and in the built site. Vite wants
// the patterns as literals, hence the repetition.
const textFiles = import.meta.glob<string>(['../../lessons/*/**', '!../../lessons/*/**/*.{png,jpg,jpeg,gif,webp,svg,ico}'], {
  query: '?raw',
  import: 'default',
});
const imageFiles = import.meta.glob<string>('../../lessons/*/**/*.{png,jpg,jpeg,gif,webp,svg,ico}', { query: '?url', import: 'default' });

const PREFIX = '../../lessons/';

function split(key: string): { id: string; path: string } {
  const rest = key.slice(PREFIX.length);
  const slash = rest.indexOf('/');
  return { id: rest.slice(0, slash), path: rest.slice(slash + 1) };
}

export function builtinLessonIds(): string[] {
  const ids = new Set<string>();
  for (const key of Object.keys(textFiles)) {
    const { id, path } = split(key);
    if (path === 'index.json') ids.add(id);
  }
  return [...ids].sort();
}

export async function loadBuiltinLesson(id: string): Promise<LessonFilesMap> {
  const files: LessonFilesMap = new Map();
  const jobs: Promise<void>[] = [];
  for (const [key, load] of Object.entries(textFiles)) {
    const { id: owner, path } = split(key);
    if (owner === id) jobs.push(load().then((text) => void files.set(path, text)));
  }
  for (const [key, load] of Object.entries(imageFiles)) {
    const { id: owner, path } = split(key);
    if (owner !== id) continue;
    jobs.push(
      load()
        .then((url) => fetch(url))
        .then(async (res) => void files.set(path, new Uint8Array(await res.arrayBuffer()))),
    );
  }
  await Promise.all(jobs);
  return files;
}

function summary(id: string, indexJson: string | Uint8Array | undefined, source: LessonEntry['source']): LessonEntry {
  try {
    const text = typeof indexJson === 'string' ? indexJson : new TextDecoder().decode(indexJson);
    const raw = JSON.parse(text) as { title?: unknown; description?: unknown };
    return {
      id,
      title: typeof raw.title === 'string' ? raw.title : id,
      description: typeof raw.description === 'string' ? raw.description : '',
      source,
    };
  } catch {
    // A broken index.json still gets listed: opening it shows the validator's errors.
    return { id, title: id, description: '', source };
  }
}

export async function builtinLessons(): Promise<LessonEntry[]> {
  return Promise.all(
    builtinLessonIds().map(async (id) => summary(id, await textFiles[`${PREFIX}${id}/index.json`](), 'builtin')),
  );
}

// ---- imported lessons ----

interface StoredLesson {
  files: Map<string, Uint8Array>;
  importedAt: string;
}

let store: UseStore | null = null;
const db = () => (store ??= createStore('docker-lab-imported-lessons', 'lessons'));

/** Imported ids are prefixed so they never shadow a built-in lesson. */
export function importedId(name: string): string {
  const s = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48);
  return `imported-${s || 'scenario'}`;
}

export async function saveImportedLesson(id: string, files: Map<string, Uint8Array>): Promise<void> {
  await set(id, { files, importedAt: new Date().toISOString() } satisfies StoredLesson, db());
}

export async function loadImportedLesson(id: string): Promise<LessonFilesMap | null> {
  const stored = await get<StoredLesson>(id, db()).catch(() => undefined);
  return stored ? new Map(stored.files) : null;
}

export async function importedLessons(): Promise<LessonEntry[]> {
  try {
    const ids = (await keys(db())).map(String).sort();
    const entries = await Promise.all(
      ids.map(async (id) => {
        const stored = await get<StoredLesson>(id, db());
        return summary(id, stored?.files.get('index.json'), 'imported');
      }),
    );
    return entries;
  } catch {
    // No IndexedDB (some private modes): imports then last until reload.
    return [];
  }
}

export async function removeImportedLesson(id: string): Promise<void> {
  await del(id, db());
}

/** A lesson's files by id, built-in or imported; null when there is none. */
export async function loadLessonFiles(id: string): Promise<LessonFilesMap | null> {
  if (builtinLessonIds().includes(id)) return loadBuiltinLesson(id);
  return loadImportedLesson(id);
}
