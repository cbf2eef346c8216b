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

/** The parts the server holds: every part but the empty ones. */
export function diskPartPaths(disk: Pick<DiskImage, 'url' | 'chunkSize' | 'parts' | 'empty'>): string[] {
  const empty = emptyParts(disk);
  return Array.from({ length: disk.parts }, (_, i) => i).filter((i) => !empty(i)).map((i) => diskPartPath(disk, i));
}

/** Whether a part holds only zeros, and so is neither served nor fetched. */
export function emptyParts(disk: Pick<DiskImage, 'parts' | 'empty'>): (index: number) => boolean {
  const flags = new Uint8Array(disk.parts);
  for (const [first, end] of disk.empty ?? []) flags.fill(1, first, end);
  return (index) => flags[index] === 1;
}

/** [first, end) ranges of the part numbers for which `isEmpty` holds. */
export function emptyRanges(count: number, isEmpty: (index: number) => boolean): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (let i = 0; i < count; i++) {
    if (!isEmpty(i)) continue;
    const last = ranges.at(-1);
    if (last && last[1] === i) last[1] = i + 1;
    else ranges.push([i, i + 1]);
  }
  return ranges;
}
