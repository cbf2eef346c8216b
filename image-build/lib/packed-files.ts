import { mkdir, readdir, rename, stat } from 'node:fs/promises';
import type { WriteStream } from 'node:fs';
import path from 'node:path';
import { run, treeBytes } from './exec.ts';

/**
 * Files the guest only ever reads, kept packed on its disk: Docker's unpacked copies
 * of the catalog's layers (a container writes to a layer of its own; an image pulled
 * or built gets layers of its own), the lab's layer store, which names the same files
 * (layer-store.ts), and Docker's CLI plugins. One squashfs image (zstd) holds them;
 * the guest mounts it at boot and binds each folder back where Docker looks for it
 * (guest-rootfs/files/etc/lab/rc.sysinit). Unpacked, they are most of the disk.
 */
export const PACKED = {
  /** The squashfs image on the guest's disk. */
  image: 'var/lib/lab/packed.sqfs',
  /** Where the guest mounts it. */
  mountPoint: 'var/lib/lab/packed',
  /** Docker's layer folders, each packed as diff/<cache id>. */
  dockerLayers: 'var/lib/docker/overlay2',
  layerStore: 'var/lib/lab/layers',
  cliPlugins: 'usr/libexec/docker/cli-plugins',
} as const;

/** squashfs block size: a read unpacks a whole block, so smaller blocks waste less on a page fault. */
const BLOCK_SIZE = '256K';

export interface PackedFiles {
  layers: number;
  unpackedBytes: number;
  packedBytes: number;
}

/**
 * Moves the read-only trees out of the staged root filesystem `stage` into `work`,
 * leaves empty folders where the guest binds them back, and packs `work` into the
 * stage's squashfs image. Hard links stay hard links (the layer store's names and
 * Docker's files are packed once).
 */
export async function packReadOnlyFiles(stage: string, work: string, log: WriteStream): Promise<PackedFiles> {
  await mkdir(path.join(work, 'diff'), { recursive: true });
  const layersDir = path.join(stage, PACKED.dockerLayers);
  let layers = 0;
  for (const id of (await readdir(layersDir)).sort()) {
    const diff = path.join(layersDir, id, 'diff');
    const info = await stat(diff).catch(() => null);
    if (!info?.isDirectory()) continue; // overlay2/l holds the short names' links
    await moveLeavingMountPoint(diff, path.join(work, 'diff', id), info.mode);
    layers++;
  }
  await rename(path.join(stage, PACKED.layerStore), path.join(work, 'layers'));
  const plugins = path.join(stage, PACKED.cliPlugins);
  await moveLeavingMountPoint(plugins, path.join(work, 'cli-plugins'), (await stat(plugins)).mode);
  await mkdir(path.join(stage, PACKED.mountPoint), { recursive: true });

  const unpackedBytes = await treeBytes(work);
  const image = path.join(stage, PACKED.image);
  // zstd -19: unpacking costs the same at any level; the image is packed once per build.
  await run('mksquashfs', [work, image, '-noappend', '-no-progress', '-comp', 'zstd', '-Xcompression-level', '19', '-b', BLOCK_SIZE], { log });
  return { layers, unpackedBytes, packedBytes: (await stat(image)).size };
}

async function moveLeavingMountPoint(from: string, to: string, mode: number) {
  await rename(from, to);
  await mkdir(from, { mode: mode & 0o7777 });
}
