// Turns v86's per-file download events into one "MB loaded of MB total" figure.
// Totals start from the manifest's sizes so the bar does not jump when v86
// reaches the next file; disk parts load on demand and are not counted.

import type { DownloadProgress, ResolvePath } from './machine';
import type { GuestManifest } from './guest-manifest';
import { megabytes } from './bytes';

interface Entry {
  label: string;
  loaded: number;
  total: number;
}

export class DownloadTracker {
  private readonly files = new Map<string, Entry>();

  /** `start`: what the machine starts from; a resumed state needs no kernel or initrd (see v86-options.ts). */
  constructor(manifest: GuestManifest, resolve: ResolvePath, start: 'snapshot' | 'saved' | 'cold') {
    const add = (path: string, size: number, label: string) =>
      this.files.set(resolve(path), { label, loaded: 0, total: size });
    add(manifest.bios.path, manifest.bios.size, 'BIOS');
    add(manifest.vgaBios.path, manifest.vgaBios.size, 'VGA BIOS');
    if (start === 'cold') {
      add(manifest.kernel.path, manifest.kernel.size, 'Linux kernel');
      add(manifest.initrd.path, manifest.initrd.size, 'initial ramdisk');
    }
    if (start === 'snapshot' && manifest.snapshot) {
      add(manifest.snapshot.path, manifest.snapshot.size, 'ready-to-use machine snapshot');
    }
  }

  /** Records an event and returns a sentence for the status bar. */
  update(p: DownloadProgress): string {
    const entry = this.files.get(p.fileName) ?? { label: 'emulator', loaded: 0, total: 0 };
    entry.loaded = p.loaded;
    entry.total = Math.max(entry.total, p.total);
    this.files.set(p.fileName, entry);
    return `Downloading ${entry.label} (${megabytes(entry.loaded)} of ${megabytes(entry.total)} MB)`;
  }

  get bytesLoaded(): number {
    let sum = 0;
    for (const f of this.files.values()) sum += Math.min(f.loaded, f.total);
    return sum;
  }

  get bytesTotal(): number {
    let sum = 0;
    for (const f of this.files.values()) sum += f.total;
    return sum;
  }
}
