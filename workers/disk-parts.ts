// Names of the guest disk's parts as the build writes them and the lab fetches
// them: `disk/rootfs.img.zst` becomes `disk/rootfs-0-262144.img.zst`, … (the
// naming of v86's `use_parts` disks, which the build kept: everything from the
// last-but-one dot of a .zst name is the extension).

import type { DiskImage } from './guest-manifest';

export function diskPartPath(disk: Pick<DiskImage, 'url' | 'chunkSize'>, index: number): string {
  const match = /\.[^.]+(\.zst)?$/.exec(disk.url);
  const extension = match ? match[0] : '';
  const base = disk.url.slice(0, disk.url.length - extension.length);
  const start = index * disk.chunkSize;
  return `${base}-${start}-${start + disk.chunkSize}${extension}`;
}

export function diskPartPaths(disk: Pick<DiskImage, 'url' | 'chunkSize' | 'parts'>): string[] {
  return Array.from({ length: disk.parts }, (_, i) => diskPartPath(disk, i));
}
