import { describe, expect, it } from 'vitest';
import {
  buildIdOfCache,
  changedFiles,
  guestCacheName,
  guestFiles,
  offlineBytes,
  parseGuestManifest,
} from '../../web/offline/guest-files';
import { diskPartPaths, emptyParts, emptyRanges } from '../../workers/disk-parts';
import { tinyGuest } from './helpers/tiny-guest';

describe('guest files of a build', () => {
  it('names disk parts the way v86 asks for them', () => {
    const disk = { size: 3 * 262144, chunkSize: 262144, url: 'disk/rootfs.img.zst', parts: 3, servedBytes: 1, sha256: '' };
    expect(diskPartPaths(disk)).toEqual([
      'disk/rootfs-0-262144.img.zst',
      'disk/rootfs-262144-524288.img.zst',
      'disk/rootfs-524288-786432.img.zst',
    ]);
    expect(diskPartPaths({ ...disk, url: 'parts/hda.img', parts: 1 })).toEqual(['parts/hda-0-262144.img']);
  });

  it('leaves the empty parts (zeros only) out of what is served, and reads the ranges back', () => {
    const zero = [false, true, true, false, true, false];
    const empty = emptyRanges(zero.length, (i) => zero[i]!);
    expect(empty).toEqual([[1, 3], [4, 5]]);
    const disk = { size: 6 * 1024, chunkSize: 1024, url: 'disk/rootfs.img.zst', parts: 6, servedBytes: 1, sha256: '', empty };
    expect(diskPartPaths(disk)).toEqual(['disk/rootfs-0-1024.img.zst', 'disk/rootfs-3072-4096.img.zst', 'disk/rootfs-5120-6144.img.zst']);
    const isEmpty = emptyParts(disk);
    expect(zero.map((_, i) => isEmpty(i))).toEqual(zero);
  });

  it('refuses a manifest whose empty parts are not ordered ranges within the disk', () => {
    const { manifest } = tinyGuest();
    for (const empty of [[[2, 5]], [[2, 2]], [[1, 2], [1, 3]], [[-1, 1]], [2, 3], 'none']) {
      expect(parseGuestManifest({ ...manifest, disk: { ...manifest.disk, empty } })).toBeNull();
    }
    expect(parseGuestManifest({ ...manifest, disk: { ...manifest.disk, empty: [[0, 1], [2, 4]] } })).not.toBeNull();
  });

  it('lists boot files, the snapshot and every disk part, and totals their bytes', () => {
    const { manifest, files } = tinyGuest();
    const listed = guestFiles(manifest);
    expect(listed.map((f) => f.path)).toEqual([...files.keys()].filter((p) => p !== 'manifest.json'));
    const served = [...files.entries()].filter(([p]) => p !== 'manifest.json').reduce((n, [, b]) => n + b.length, 0);
    expect(offlineBytes(manifest)).toBe(served);
    expect(listed.filter((f) => f.sha256 === null).every((f) => f.path.startsWith('disk/'))).toBe(true);
  });

  it('leaves the snapshot out when the build has none', () => {
    const { manifest } = tinyGuest();
    delete manifest.snapshot;
    expect(guestFiles(manifest).map((f) => f.path)).not.toContain('state.bin.zst');
  });

  it('names one cache per build and reads the build back from the name', () => {
    expect(buildIdOfCache(guestCacheName('abc123'))).toBe('abc123');
    expect(buildIdOfCache('workbox-precache-v2-https://x/')).toBeNull();
  });

  it('finds a rebuilt snapshot under the same build id, and nothing across builds', () => {
    const a = tinyGuest('same').manifest;
    const b = tinyGuest('same', { snapshotSeed: 99 }).manifest;
    expect(changedFiles(a, b)).toEqual(['state.bin.zst']);
    expect(changedFiles(a, a)).toEqual([]);
    expect(changedFiles(a, tinyGuest('other', { snapshotSeed: 99 }).manifest)).toEqual([]);
  });

  it('accepts a real manifest and refuses error pages and unsafe build ids', () => {
    const { manifest } = tinyGuest();
    expect(parseGuestManifest(JSON.parse(JSON.stringify(manifest)))).not.toBeNull();
    expect(parseGuestManifest(null)).toBeNull();
    expect(parseGuestManifest({ error: 'not found' })).toBeNull();
    expect(parseGuestManifest({ ...manifest, format: 2 })).toBeNull();
    expect(parseGuestManifest({ ...manifest, buildId: '../x y' })).toBeNull();
    expect(parseGuestManifest({ ...manifest, disk: { ...manifest.disk, chunkSize: 0 } })).toBeNull();
  });
});
