import { describe, expect, it } from 'vitest';
import { DOWNLOAD_HEADER, guestCacheName, offlineBytes } from '../../web/offline/guest-files';
import { downloadGuest, type DownloadProgress } from '../../web/offline/offline-download';
import { MemoryCacheStorage } from './helpers/memory-cache-storage';
import { tinyGuest, type TinyGuest } from './helpers/tiny-guest';

const BASE = 'https://lab.example/guest/';

/** A server holding `guest`, which counts requests and can be told to misbehave for one path. */
function server(guest: TinyGuest, misbehave: (path: string) => Response | null = () => null) {
  const requested: string[] = [];
  const fetchFn = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    const path = url.slice(BASE.length);
    requested.push(path);
    expect(new Headers(init?.headers).has(DOWNLOAD_HEADER)).toBe(true);
    if (init?.signal?.aborted) throw init.signal.reason;
    const bad = misbehave(path);
    if (bad) return bad;
    const body = guest.files.get(path);
    return body ? new Response(body.slice()) : new Response('not found', { status: 404 });
  }) as typeof fetch;
  return { fetchFn, requested };
}

const roomy = async () => ({ quota: 1e12, usage: 0 });

describe('make available offline', () => {
  it('stores every file of the build, checked, with progress in bytes that ends at the total', async () => {
    const guest = tinyGuest('a');
    const storage = new MemoryCacheStorage();
    const { fetchFn } = server(guest);
    const seen: DownloadProgress[] = [];
    const result = await downloadGuest({
      manifest: guest.manifest,
      guestBase: BASE,
      storage: storage.asCacheStorage(),
      fetch: fetchFn,
      estimate: roomy,
      onProgress: (p) => seen.push(p),
    });
    expect(result).toMatchObject({ doneBytes: offlineBytes(guest.manifest), totalBytes: offlineBytes(guest.manifest), doneFiles: 8, totalFiles: 8 });
    expect(result.fetchedBytes).toBe(offlineBytes(guest.manifest));
    expect(storage.urls(guestCacheName('a')).sort()).toEqual([...guest.files.keys()].map((p) => BASE + p).sort());
    const done = seen.map((p) => p.doneBytes);
    expect(done).toEqual([...done].sort((x, y) => x - y));
    expect(seen.at(-1)?.doneBytes).toBe(result.totalBytes);
    const cached = await (await storage.open(guestCacheName('a'))).match(BASE + 'vmlinuz');
    expect(new Uint8Array(await cached!.arrayBuffer())).toEqual(guest.files.get('vmlinuz'));
  });

  it('counts what is already cached and fetches only the rest', async () => {
    const guest = tinyGuest('a');
    const storage = new MemoryCacheStorage();
    const cache = await storage.open(guestCacheName('a'));
    const part = 'disk/rootfs-1024-2048.img.zst';
    const partBytes = guest.files.get(part)!;
    await cache.put(BASE + part, new Response(partBytes.slice(), { headers: { 'content-length': String(partBytes.length) } }));
    await cache.put(BASE + 'vmlinuz', new Response(guest.files.get('vmlinuz')!.slice()));
    const { fetchFn, requested } = server(guest);
    const first: DownloadProgress[] = [];
    const result = await downloadGuest({
      manifest: guest.manifest,
      guestBase: BASE,
      storage: storage.asCacheStorage(),
      fetch: fetchFn,
      estimate: roomy,
      onProgress: (p) => first.push(p),
    });
    expect(requested).not.toContain(part);
    expect(requested).not.toContain('vmlinuz');
    expect(first[0]).toMatchObject({ doneFiles: 2, doneBytes: partBytes.length + guest.manifest.kernel.size });
    expect(result.fetchedBytes).toBe(result.totalBytes - partBytes.length - guest.manifest.kernel.size);
  });

  it('refuses a file whose checksum does not match, keeps what was stored, and names the file', async () => {
    const guest = tinyGuest('a');
    const storage = new MemoryCacheStorage();
    const damaged = guest.files.get('initrd.img')!.slice();
    damaged[3] ^= 0xff;
    const { fetchFn } = server(guest, (p) => (p === 'initrd.img' ? new Response(damaged) : null));
    const run = downloadGuest({ manifest: guest.manifest, guestBase: BASE, storage: storage.asCacheStorage(), fetch: fetchFn, estimate: roomy, onProgress: () => {}, concurrency: 1 });
    await expect(run).rejects.toThrow(/initrd\.img arrived damaged/);
    const urls = storage.urls(guestCacheName('a'));
    expect(urls).not.toContain(BASE + 'initrd.img');
    expect(urls).toContain(BASE + 'bios.bin');
  });

  it('reports an HTTP error with the file and status', async () => {
    const guest = tinyGuest('a');
    const { fetchFn } = server(guest, (p) => (p.startsWith('disk/rootfs-3072') ? new Response('gone', { status: 404 }) : null));
    await expect(
      downloadGuest({ manifest: guest.manifest, guestBase: BASE, storage: new MemoryCacheStorage().asCacheStorage(), fetch: fetchFn, estimate: roomy, onProgress: () => {} }),
    ).rejects.toThrow(/disk\/rootfs-3072-4096\.img\.zst could not be downloaded: the server answered HTTP 404/);
  });

  it('notices disk parts that do not add up to the manifest', async () => {
    const guest = tinyGuest('a');
    const { fetchFn } = server(guest, (p) => (p === 'disk/rootfs-0-1024.img.zst' ? new Response(new Uint8Array(5)) : null));
    await expect(
      downloadGuest({ manifest: guest.manifest, guestBase: BASE, storage: new MemoryCacheStorage().asCacheStorage(), fetch: fetchFn, estimate: roomy, onProgress: () => {} }),
    ).rejects.toThrow(/do not match its manifest\.json/);
  });

  it('says how much storage is missing before downloading anything', async () => {
    const guest = tinyGuest('a');
    const { fetchFn, requested } = server(guest);
    await expect(
      downloadGuest({
        manifest: guest.manifest,
        guestBase: BASE,
        storage: new MemoryCacheStorage().asCacheStorage(),
        fetch: fetchFn,
        estimate: async () => ({ quota: 1000, usage: 900 }),
        onProgress: () => {},
      }),
    ).rejects.toThrow(/Not enough browser storage: .* MB are needed, 0\.0 MB are available/);
    expect(requested).toEqual([]);
  });

  it('turns a quota error while storing into a clear message', async () => {
    const guest = tinyGuest('a');
    const quota = new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    const storage = new MemoryCacheStorage((url) => (url.endsWith('state.bin.zst') ? quota : null));
    const { fetchFn } = server(guest);
    await expect(
      downloadGuest({ manifest: guest.manifest, guestBase: BASE, storage: storage.asCacheStorage(), fetch: fetchFn, estimate: roomy, onProgress: () => {} }),
    ).rejects.toThrow(/ran out of storage for the lab: about .* MB more are needed\. What was downloaded is kept\./);
  });

  it('stops when asked, keeps the files stored so far, and the next run continues', async () => {
    const guest = tinyGuest('a');
    const storage = new MemoryCacheStorage();
    const stop = new AbortController();
    const { fetchFn } = server(guest, (p) => {
      if (p === 'initrd.img') stop.abort(new Error('stopped by the learner'));
      return null;
    });
    await expect(
      downloadGuest({ manifest: guest.manifest, guestBase: BASE, storage: storage.asCacheStorage(), fetch: fetchFn, estimate: roomy, onProgress: () => {}, signal: stop.signal, concurrency: 1 }),
    ).rejects.toThrow(/^Stopped at .* MB\. What was downloaded is kept\./);
    const kept = storage.urls(guestCacheName('a'));
    expect(kept.slice(0, 3)).toEqual([BASE + 'bios.bin', BASE + 'vgabios.bin', BASE + 'vmlinuz']);
    expect(kept).not.toContain(BASE + 'state.bin.zst');

    const again = server(guest);
    const result = await downloadGuest({ manifest: guest.manifest, guestBase: BASE, storage: storage.asCacheStorage(), fetch: again.fetchFn, estimate: roomy, onProgress: () => {} });
    expect(again.requested).not.toContain('bios.bin');
    expect(result.doneFiles).toBe(result.totalFiles);
  });

  it('refuses to finish when the server swapped its manifest for another build meanwhile', async () => {
    const guest = tinyGuest('a');
    const other = tinyGuest('b');
    const { fetchFn } = server(guest, (p) => (p === 'manifest.json' ? new Response(other.files.get('manifest.json')!.slice()) : null));
    await expect(
      downloadGuest({ manifest: guest.manifest, guestBase: BASE, storage: new MemoryCacheStorage().asCacheStorage(), fetch: fetchFn, estimate: roomy, onProgress: () => {} }),
    ).rejects.toThrow(/manifest\.json changed while downloading \(now b, was a\)/);
  });
});
