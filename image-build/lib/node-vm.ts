import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { GuestManifest } from '../../workers/guest-manifest.ts';
import { Machine } from '../../workers/machine.ts';
import { OUT_LINK } from './paths.ts';

export interface NodeVm {
  machine: Machine;
  manifest: GuestManifest;
  /** Everything the guest printed on its console so far. */
  console(): string;
}

/**
 * Opens a built guest release in v86 under Node, from its snapshot, from a state
 * saved from it, or cold, with the same Machine wrapper and settings the browser worker uses.
 */
export async function openReleaseVm(options: {
  from: 'snapshot' | 'cold' | { saved: ArrayBuffer };
  release?: string;
  /** How the release's files (disk parts among them) are read; tests slow it down to catch reads in flight. */
  readFile?: (file: string) => Promise<Uint8Array>;
}): Promise<NodeVm> {
  const release = options.release ?? OUT_LINK;
  const manifest = JSON.parse(await readFile(path.join(release, 'manifest.json'), 'utf8').catch(() => {
    throw new Error(`no guest release at ${release}: run \`npm run build:guest\` first`);
  })) as GuestManifest;
  if (options.from === 'snapshot' && !manifest.snapshot) throw new Error('this guest release has no snapshot');
  let output = '';
  const machine = new Machine({
    manifest,
    resolve: (relative) => path.join(release, relative),
    wasmPath: createRequire(import.meta.url).resolve('v86/build/v86.wasm'),
    readFile: options.readFile ?? ((file) => readFile(file)),
    state: options.from === 'snapshot' ? { kind: 'snapshot', url: path.join(release, manifest.snapshot!.path) }
      : options.from === 'cold' ? undefined : { kind: 'buffer', buffer: options.from.saved },
    onConsoleOutput: (chunk) => { output += new TextDecoder().decode(chunk); },
  });
  await machine.loaded;
  return { machine, manifest, console: () => output };
}
