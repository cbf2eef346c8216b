import { describe, expect, it } from 'vitest';
import { GuestCache } from '../../web/offline/guest-cache';
import { guestCacheName } from '../../web/offline/guest-files';
import { MemoryCacheStorage } from './helpers/memory-cache-storage';
import { tinyGuest } from './helpers/tiny-guest';

const BASE = 'https://lab.example/guest/';

function manifestResponse(manifest: unknown): Response {
  return new Response(JSON.stringify(manifest), { headers: { 'content-type': 'application/json' } });
}

async function putFile(storage: MemoryCacheStorage, buildId: string, path: string): Promise<void> {
  await (await storage.open(guestCacheName(buildId))).put(BASE + path, new Response('bytes'));
}

describe('the offline copy of the guest', () => {
  it('adopts the first manifest and serves it back from the cache', async () => {
    const storage = new MemoryCacheStorage();
    const cache = new GuestCache(storage.asCacheStorage(), BASE);
    const { manifest } = tinyGuest('a');
    expect(await cache.currentName()).toBeNull();
    expect(await cache.adopt(manifest, manifestResponse(manifest))).toBeNull();
    expect(await cache.currentName()).toBe(guestCacheName('a'));
    expect((await cache.cachedManifest())?.manifest.buildId).toBe('a');
    expect(await cache.replacedRecord()).toBeNull();
  });

  it('replaces the cache of an older build and records what was removed', async () => {
    const storage = new MemoryCacheStorage();
    const cache = new GuestCache(storage.asCacheStorage(), BASE);
    const a = tinyGuest('a').manifest;
    await cache.adopt(a, manifestResponse(a));
    await putFile(storage, 'a', 'vmlinuz');
    await putFile(storage, 'a', 'disk/rootfs-0-1024.img.zst');

    const b = tinyGuest('b').manifest;
    const record = await cache.adopt(b, manifestResponse(b));
    expect(record).toMatchObject({ from: 'a', to: 'b', removedFiles: 2 });
    expect(await storage.keys()).toEqual([guestCacheName('b')]);
    expect(await cache.replacedRecord()).toMatchObject({ from: 'a', to: 'b', removedFiles: 2 });
    // A fresh GuestCache (a restarted service worker) finds the same build.
    expect(await new GuestCache(storage.asCacheStorage(), BASE).currentName()).toBe(guestCacheName('b'));

    await cache.forgetReplacedRecord();
    expect(await cache.replacedRecord()).toBeNull();
  });

  it('keeps one record when two pages adopt the new build at the same moment', async () => {
    const storage = new MemoryCacheStorage();
    const cache = new GuestCache(storage.asCacheStorage(), BASE);
    const a = tinyGuest('a').manifest;
    await cache.adopt(a, manifestResponse(a));
    await putFile(storage, 'a', 'vmlinuz');
    const b = tinyGuest('b').manifest;
    const [first, second] = await Promise.all([cache.adopt(b, manifestResponse(b)), cache.adopt(b, manifestResponse(b))]);
    expect(first).toMatchObject({ from: 'a', removedFiles: 1 });
    expect(second).toBeNull();
    expect(await cache.replacedRecord()).toMatchObject({ from: 'a', removedFiles: 1 });
  });

  it('drops a cached snapshot that a same-build manifest replaced, and keeps the rest', async () => {
    const storage = new MemoryCacheStorage();
    const cache = new GuestCache(storage.asCacheStorage(), BASE);
    const before = tinyGuest('a').manifest;
    await cache.adopt(before, manifestResponse(before));
    await putFile(storage, 'a', 'state.bin.zst');
    await putFile(storage, 'a', 'vmlinuz');
    const after = tinyGuest('a', { snapshotSeed: 42 }).manifest;
    expect(await cache.adopt(after, manifestResponse(after))).toBeNull();
    expect(storage.urls(guestCacheName('a')).sort()).toEqual([BASE + 'manifest.json', BASE + 'vmlinuz']);
    expect((await cache.cachedManifest())?.manifest.snapshot?.sha256).toBe(after.snapshot?.sha256);
  });
});
