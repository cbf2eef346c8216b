// Where a learner is in each lesson, kept in IndexedDB in a database of its
// own (the VM's saved states live in "docker-lab"; idb-keyval makes one
// object store per database, so sharing one would fight over upgrades).

import { createStore, del, get, set, type UseStore } from 'idb-keyval';

export interface LessonProgress {
  /** Page position: 0 intro, 1..n the steps, n+1 the finish page. */
  current: number;
  /** Step indices (0-based) whose check passed, or that had no check and were left with Next. */
  completed: number[];
  updatedAt: string;
}

export interface ProgressStore {
  load(lessonId: string): Promise<LessonProgress | null>;
  save(lessonId: string, progress: LessonProgress): Promise<void>;
  clear(lessonId: string): Promise<void>;
}

let store: UseStore | null = null;

/** The real store; created on first use so importing this module touches no IndexedDB. */
export function idbProgressStore(): ProgressStore {
  const db = () => (store ??= createStore('docker-lab-lesson-progress', 'progress'));
  return {
    async load(id) {
      const p = await get<LessonProgress>(id, db());
      // Stored by an older or broken build: start the lesson over rather than fail.
      return p && Number.isInteger(p.current) && Array.isArray(p.completed) ? p : null;
    },
    save: (id, p) => set(id, p, db()),
    clear: (id) => del(id, db()),
  };
}

/** For tests and for pages without IndexedDB (some private modes): forgets on reload. */
export function memoryProgressStore(): ProgressStore {
  const map = new Map<string, LessonProgress>();
  return {
    load: async (id) => map.get(id) ?? null,
    save: async (id, p) => void map.set(id, structuredClone(p)),
    clear: async (id) => void map.delete(id),
  };
}
