// Turns what a learner picked — a folder (<input webkitdirectory>) or a .zip —
// into the lesson-relative file map validateLesson() reads. The scenario's
// folder is found wherever index.json sits, so a zip that wraps the scenario
// in one more folder (as GitHub's "Download ZIP" and most zip tools do) works.

import { unzipSync } from 'fflate';
import { normalisePath } from './format';

export interface ImportedFiles {
  /** Paths relative to the scenario folder (the one holding index.json). */
  files: Map<string, Uint8Array>;
  /** That folder's name, '' when index.json was at the top; a good default lesson id. */
  name: string;
}

export class LessonImportError extends Error {}

/** A scenario is a handful of small text files; anything near these limits is a wrong pick. */
export const MAX_IMPORT_BYTES = 64 * 1024 * 1024;
export const MAX_IMPORT_FILES = 2000;

/** Junk that zip tools and file managers add. */
function ignored(path: string): boolean {
  return path.split('/').some((seg) => seg === '__MACOSX' || seg === '.git' || seg === '.DS_Store' || seg === 'Thumbs.db');
}

/**
 * Finds the scenario folder: the shallowest folder holding index.json. Several
 * at the same depth (a zip of many scenarios) is an error naming them.
 */
export function rootAtIndex(all: Map<string, Uint8Array>): ImportedFiles {
  const indexes = [...all.keys()].filter((p) => p === 'index.json' || p.endsWith('/index.json'));
  if (indexes.length === 0) throw new LessonImportError('No index.json found: this is not a Killercoda-style scenario folder.');
  const depth = (p: string) => p.split('/').length;
  const shallowest = Math.min(...indexes.map(depth));
  const roots = indexes.filter((p) => depth(p) === shallowest).map((p) => p.slice(0, -'index.json'.length).replace(/\/$/, ''));
  if (roots.length > 1) {
    throw new LessonImportError(`This holds several scenarios (${roots.slice(0, 5).join(', ')}${roots.length > 5 ? ', …' : ''}); import one of them.`);
  }
  const root = roots[0];
  const files = new Map<string, Uint8Array>();
  const prefix = root ? `${root}/` : '';
  for (const [p, data] of all) if (p.startsWith(prefix)) files.set(p.slice(prefix.length), data);
  return { files, name: root.split('/').pop() ?? '' };
}

/** Files from a zip archive. */
export function importZip(bytes: Uint8Array): ImportedFiles {
  let total = 0;
  let count = 0;
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes, {
      filter: (f) => {
        if (f.name.endsWith('/') || ignored(f.name)) return false;
        total += f.originalSize;
        count++;
        // Checked from the directory, before inflating: a zip bomb never expands.
        if (total > MAX_IMPORT_BYTES || count > MAX_IMPORT_FILES) {
          throw new LessonImportError(`The zip is too large for a lesson (more than ${MAX_IMPORT_FILES} files or 64 MiB).`);
        }
        return true;
      },
    });
  } catch (err) {
    if (err instanceof LessonImportError) throw err;
    throw new LessonImportError(`Could not read the zip: ${err instanceof Error ? err.message : String(err)}`);
  }
  const all = new Map<string, Uint8Array>();
  for (const [name, data] of Object.entries(entries)) all.set(normalisePath(name), data);
  return rootAtIndex(all);
}

/** Files picked with <input type=file webkitdirectory> (each has webkitRelativePath), or loose files. */
export async function importFileList(list: Iterable<File>): Promise<ImportedFiles> {
  const picked = [...list];
  if (picked.length === 1 && /\.zip$/i.test(picked[0].name)) {
    return importZip(new Uint8Array(await picked[0].arrayBuffer()));
  }
  if (picked.length > MAX_IMPORT_FILES) throw new LessonImportError(`Too many files for a lesson (${picked.length}).`);
  let total = 0;
  const all = new Map<string, Uint8Array>();
  for (const file of picked) {
    const path = normalisePath(file.webkitRelativePath || file.name);
    if (ignored(path)) continue;
    total += file.size;
    if (total > MAX_IMPORT_BYTES) throw new LessonImportError('The folder is too large for a lesson (more than 64 MiB).');
    all.set(path, new Uint8Array(await file.arrayBuffer()));
  }
  return rootAtIndex(all);
}
