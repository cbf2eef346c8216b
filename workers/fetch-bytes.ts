// A guest file's bytes by URL. A file already in its build's offline cache
// (put there by the service worker or "Make available offline") is read from
// it directly: one request to the browser instead of a trip through the
// service worker, which the browser stops when idle and must start again.
// Only that build's cache is asked, since every build has files of the same names.

import { DOWNLOAD_HEADER } from './guest-cache-name';

/** Fetches on their way, by URL: two reads of one part share a fetch. */
const inFlight = new Map<string, Promise<Uint8Array>>();
/** Parts the prefetch is storing, by URL: the guest's read of one waits for it and then reads the cache. */
const warming = new Map<string, Promise<number>>();

export function fetchBytes(url: string, cacheName?: string): Promise<Uint8Array> {
  return shared(url, async () => {
    await warming.get(url)?.catch(() => undefined);
    const cached = cacheName === undefined ? undefined : await cachedResponse(url, cacheName);
    return cached ? new Uint8Array(await cached.arrayBuffer()) : fromNetwork(url);
  });
}

/**
 * Brings a guest file into its build's offline cache without reading its bytes:
 * the browser streams the answer into the cache. (Read into an ArrayBuffer
 * each, the prefetch's 68 MB of parts left about 150 MB more in the tab until
 * V8 collected them.) Resolves to the bytes fetched, 0 when the build's cache
 * had the file or a read of it is on its way already. Never brings back a
 * build's cache that is gone (the service worker removes a replaced build's).
 */
export function warmCache(url: string, cacheName: string): Promise<number> {
  let pending = warming.get(url);
  if (!pending) {
    pending = store(url, cacheName).finally(() => warming.delete(url));
    warming.set(url, pending);
  }
  return pending;
}

async function store(url: string, cacheName: string): Promise<number> {
  const reading = inFlight.get(url);
  if (reading) return reading.then(() => 0, () => 0);
  if (await cachedResponse(url, cacheName)) return 0;
  // Marked so that the service worker passes it to the network instead of storing it too.
  const response = await fetch(url, { priority: 'low', headers: { [DOWNLOAD_HEADER]: '1' } });
  if (!response.ok) throw new Error(`HTTP ${response.status} for ${url}`);
  if (!(await caches.has(cacheName))) {
    await response.body?.cancel();
    throw new Error('the offline cache of this guest build is gone');
  }
  const bytes = Number(response.headers.get('content-length') ?? 0);
  await (await caches.open(cacheName)).put(url, response);
  return bytes;
}

function shared(url: string, load: () => Promise<Uint8Array>): Promise<Uint8Array> {
  let pending = inFlight.get(url);
  if (!pending) {
    pending = load().finally(() => inFlight.delete(url));
    inFlight.set(url, pending);
  }
  return pending;
}

function cachedResponse(url: string, cacheName: string): Promise<Response | undefined> {
  return globalThis.caches?.match(url, { cacheName }).catch(() => undefined) ?? Promise.resolve(undefined);
}

async function fromNetwork(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`HTTP ${response.status} for ${url}`);
  return new Uint8Array(await response.arrayBuffer());
}
