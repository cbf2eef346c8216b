import { afterEach, describe, expect, it, vi } from 'vitest';
import { fetchBytes, warmCache } from '../../workers/fetch-bytes';
import { guestCacheName } from '../../workers/guest-cache-name';
import { MemoryCacheStorage } from './helpers/memory-cache-storage';

const URL_ = 'http://lab.test/guest/disk/rootfs-0-262144.img.zst';

async function storageWith(build: string, bytes: number[]): Promise<MemoryCacheStorage> {
  const storage = new MemoryCacheStorage();
  await (await storage.open(guestCacheName(build))).put(URL_, new Response(new Uint8Array(bytes)));
  return storage;
}

afterEach(() => vi.unstubAllGlobals());

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

  it('says which URL failed and how', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response('gone', { status: 404 })));
    await expect(fetchBytes(URL_)).rejects.toThrow(`HTTP 404 for ${URL_}`);
  });

  it("shares one fetch between a prefetch and the guest's own read of the same part", async () => {
    let answer: (response: Response) => void = () => {};
    const network = vi.fn(() => new Promise<Response>((resolve) => (answer = resolve)));
    vi.stubGlobal('fetch', network);
    vi.stubGlobal('caches', new MemoryCacheStorage().asCacheStorage());
    const warming = warmCache(URL_, guestCacheName('b2'));
    await vi.waitFor(() => expect(network).toHaveBeenCalledTimes(1));
    const reading = fetchBytes(URL_, guestCacheName('b2'));
    answer(new Response(new Uint8Array([7, 8, 9])));
    expect([...(await reading)]).toEqual([7, 8, 9]);
    expect(await warming).toBe(3);
    expect(network).toHaveBeenCalledTimes(1);
    // The prefetch asked for less urgency than the guest's reads get.
    expect(network.mock.calls[0]).toEqual([URL_, { priority: 'low' }]);
  });

  it('warms nothing that its build has cached already, and never reads its bytes', async () => {
    vi.stubGlobal('caches', (await storageWith('b2', [1, 2, 3])).asCacheStorage());
    const network = vi.fn();
    vi.stubGlobal('fetch', network);
    expect(await warmCache(URL_, guestCacheName('b2'))).toBe(0);
    expect(network).not.toHaveBeenCalled();
  });
});
