// A tiny but complete guest build as a server would hold it: manifest.json and
// every file it names, with real sizes and SHA-256 sums.

import { createHash } from 'node:crypto';
import type { GuestManifest } from '../../../workers/guest-manifest';

export interface TinyGuest {
  manifest: GuestManifest;
  /** Path relative to the guest folder → bytes as served. */
  files: Map<string, Uint8Array>;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function bytes(seed: number, length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (seed * 31 + i * 7) & 0xff);
}

export function tinyGuest(buildId = 'build-a', options: { snapshotSeed?: number } = {}): TinyGuest {
  const files = new Map<string, Uint8Array>();
  const artifact = (path: string, seed: number, length: number) => {
    const b = bytes(seed, length);
    files.set(path, b);
    return { path, size: b.length, sha256: sha256(b) };
  };
  const bios = artifact('bios.bin', 1, 64);
  const vgaBios = artifact('vgabios.bin', 2, 32);
  const kernel = artifact('vmlinuz', 3, 100);
  const initrd = artifact('initrd.img', 4, 80);
  const snapshot = { ...artifact('state.bin.zst', options.snapshotSeed ?? 5, 120), rawSize: 4096 };
  let servedBytes = 0;
  // Part 2 is empty (zeros only): the build does not serve it.
  for (const i of [0, 1, 3]) {
    const part = bytes(10 + i, 20 + i);
    files.set(`disk/rootfs-${i * 1024}-${(i + 1) * 1024}.img.zst`, part);
    servedBytes += part.length;
  }
  const manifest: GuestManifest = {
    format: 1,
    buildId,
    createdAt: '2026-11-23T00:00:00.000Z',
    machine: { memorySize: 1, vgaMemorySize: 1, cmdline: '', uart1: true, acpi: false },
    bios,
    vgaBios,
    kernel,
    initrd,
    disk: { size: 4096, chunkSize: 1024, url: 'disk/rootfs.img.zst', parts: 4, servedBytes, sha256: 'x', empty: [[2, 3]] },
    snapshot,
    images: [],
    versions: {},
  };
  files.set('manifest.json', new TextEncoder().encode(JSON.stringify(manifest)));
  return { manifest, files };
}
