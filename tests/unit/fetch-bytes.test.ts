import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fetchBytes, warmCache } from '../../workers/fetch-bytes';
import { DOWNLOAD_HEADER, guestCacheName } from '../../workers/guest-cache-name';
import { MemoryCacheStorage } from './helpers/memory-cache-storage';

const URL_ = 'http://lab.test/guest/disk/rootfs-0-262144.img.zst';

async function storageWith(build: string, bytes: number[]): Promise<MemoryCacheStorage> {
  const storage = new MemoryCacheStorage();
  await (await storage.open(guestCacheName(build))).put(URL_, new Response(new Uint8Array(bytes)));
  return storage;
}

afterEach(() => vi.unstubAllGlobals());
// The VM worker's own origin, which the guest files share unless a page points the lab elsewhere.
beforeEach(() => vi.stubGlobal('location', { origin: 'http://lab.test' }));

describe('fetchBytes', () => {
  it("reads a file from its build's offline cache without fetching it", async () => {
    vi.stubGlobal('caches', (await storageWith('b2', [1, 2, 3])).asCacheStorage());
    const network = vi.fn();
    vi.stubGlobal('fetch', network);
    expect([...(await fetchBytes(URL_, guestCacheName('b2')))]).toEqual([1, 2, 3]);
    expect(network).not.toHaveBeenCalled();
  });

  it("never takes another build's file of the same name: it fetches instead", async () => {
    const storage = await storageWith('old', [9, 9]);
    vi.stubGlobal('caches', storage.asCacheStorage());
    vi.stubGlobal('fetch', vi.fn(async () => new Response(new Uint8Array([4, 5]))));
    expect([...(await fetchBytes(URL_, guestCacheName('new')))]).toEqual([4, 5]);
    // Asking did not create the new build's cache (the service worker owns that).
    expect(await storage.has(guestCacheName('new'))).toBe(false);
  });

  it("keeps a file it fetched in its build's cache itself, asking the service worker only to pass it through", async () => {
    const storage = new MemoryCacheStorage();
    await storage.open(guestCacheName('b2'));
    vi.stubGlobal('caches', storage.asCacheStorage());
    const network = vi.fn(async () => new Response(new Uint8Array([4, 5, 6])));
    vi.stubGlobal('fetch', network);
    expect([...(await fetchBytes(URL_, guestCacheName('b2')))]).toEqual([4, 5, 6]);
    expect(network.mock.calls[0]).toEqual([URL_, { headers: { [DOWNLOAD_HEADER]: '1' } }]);
    await vi.waitFor(async () => expect(await storage.match(URL_, { cacheName: guestCacheName('b2') })).toBeDefined());
    expect([...(await fetchBytes(URL_, guestCacheName('b2')))]).toEqual([4, 5, 6]);
    expect(network).toHaveBeenCalledTimes(1);
  });

  it('adds no header to a guest served from another origin (no CORS preflight), and stores nothing without its cache', async () => {
    vi.stubGlobal('caches', new MemoryCacheStorage().asCacheStorage());
    const network = vi.fn(async () => new Response(new Uint8Array([1])));
    vi.stubGlobal('fetch', network);
    const elsewhere = 'http://cdn.test/guest/disk/rootfs-0-262144.img.zst';
    expect([...(await fetchBytes(elsewhere, guestCacheName('b2')))]).toEqual([1]);
    expect(network.mock.calls[0]).toEqual([elsewhere, { headers: undefined }]);
  });

  it('says which URL failed and how', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response('gone', { status: 404 })));
    await expect(fetchBytes(URL_)).rejects.toThrow(`HTTP 404 for ${URL_}`);
  });

  it("stores a prefetched part in its build's cache, marked so that the service worker does not store it too", async () => {
    const storage = new MemoryCacheStorage();
    await storage.open(guestCacheName('b2'));
    vi.stubGlobal('caches', storage.asCacheStorage());
    const network = vi.fn(async () => new Response(new Uint8Array([7, 8, 9]), { headers: { 'content-length': '3' } }));
    vi.stubGlobal('fetch', network);
    expect(await warmCache(URL_, guestCacheName('b2'))).toBe(3);
    expect([...new Uint8Array(await (await storage.match(URL_, { cacheName: guestCacheName('b2') }))!.arrayBuffer())]).toEqual([7, 8, 9]);
    // The prefetch asked for less urgency than the guest's reads get.
    expect(network.mock.calls[0]).toEqual([URL_, { priority: 'low', headers: { [DOWNLOAD_HEADER]: '1' } }]);
  });

  it("lets the guest's read of a part being prefetched wait for it and read the cache: one fetch", async () => {
    const storage = new MemoryCacheStorage();
    await storage.open(guestCacheName('b2'));
    vi.stubGlobal('caches', storage.asCacheStorage());
    let answer: (response: Response) => void = () => {};
    const network = vi.fn(() => new Promise<Response>((resolve) => (answer = resolve)));
    vi.stubGlobal('fetch', network);
    const warming = warmCache(URL_, guestCacheName('b2'));
    await vi.waitFor(() => expect(network).toHaveBeenCalledTimes(1));
    const reading = fetchBytes(URL_, guestCacheName('b2'));
    answer(new Response(new Uint8Array([7, 8, 9])));
    expect([...(await reading)]).toEqual([7, 8, 9]);
    await warming;
    expect(network).toHaveBeenCalledTimes(1);
  });

  it("never brings back the cache of a build that was replaced while a part was on its way", async () => {
    const storage = new MemoryCacheStorage();
    await storage.open(guestCacheName('old'));
    vi.stubGlobal('caches', storage.asCacheStorage());
    vi.stubGlobal('fetch', vi.fn(async () => {
      await storage.delete(guestCacheName('old'));
      return new Response(new Uint8Array([1]));
    }));
    await expect(warmCache(URL_, guestCacheName('old'))).rejects.toThrow('the offline cache of this guest build is gone');
    expect(await storage.has(guestCacheName('old'))).toBe(false);
  });

  it('says which part could not be prefetched and how', async () => {
    const storage = new MemoryCacheStorage();
    await storage.open(guestCacheName('b2'));
    vi.stubGlobal('caches', storage.asCacheStorage());
    vi.stubGlobal('fetch', vi.fn(async () => new Response('gone', { status: 404 })));
    await expect(warmCache(URL_, guestCacheName('b2'))).rejects.toThrow(`HTTP 404 for ${URL_}`);
    expect(await storage.match(URL_, { cacheName: guestCacheName('b2') })).toBeUndefined();
  });

  it('warms nothing that its build has cached already, and never reads its bytes', async () => {
    vi.stubGlobal('caches', (await storageWith('b2', [1, 2, 3])).asCacheStorage());
    const network = vi.fn();
    vi.stubGlobal('fetch', network);
    expect(await warmCache(URL_, guestCacheName('b2'))).toBe(0);
    expect(network).not.toHaveBeenCalled();
  });
});
