// A guest file's bytes by URL. A file already in its build's offline cache
// (put there by this worker, the service worker or "Make available offline")
// is read from it directly: one request to the browser instead of a trip
// through the service worker, which the browser stops when idle and must start
// again. A file fetched from the network is kept in that cache by this worker,
// not by the service worker, which only passes it on: its answer is streamed
// into the cache while this worker reads its copy, never read twice in JS.
// Only that build's cache is asked, since every build has files of the same names.

import { DOWNLOAD_HEADER } from './guest-cache-name';

/** Fetches on their way, by URL: two reads of one part share a fetch. */
const inFlight = new Map<string, Promise<Uint8Array>>();
/** Parts the prefetch is storing, by URL: the guest's read of one waits for it and then reads the cache. */
const warming = new Map<string, Promise<number>>();

/**
 * Headers that ask the service worker to pass a request to the network, since
 * this worker stores the answer itself. Same-origin requests only: the service
 * worker handles no others, and on a guest served from another origin a header
 * would make every request ask that server's leave first (a CORS preflight).
 */
function passThrough(url: string): Record<string, string> | undefined {
  return new URL(url).origin === globalThis.location?.origin ? { [DOWNLOAD_HEADER]: '1' } : undefined;
}

export function fetchBytes(url: string, cacheName?: string): Promise<Uint8Array> {
  return shared(inFlight, url, async () => {
    await warming.get(url)?.catch(() => undefined);
    const cached = cacheName === undefined ? undefined : await cachedResponse(url, cacheName);
    return cached ? new Uint8Array(await cached.arrayBuffer()) : fromNetwork(url, cacheName);
  });
}

/**
 * Brings a guest file into its build's offline cache without reading its bytes:
 * the browser streams the answer into the cache. (Read into an ArrayBuffer
 * each, the prefetch's 68 MB of parts stayed in the tab until V8 collected
 * them.) Resolves to the bytes fetched, 0 when the build's cache
 * had the file or a read of it is on its way already. Never brings back a
 * build's cache that is gone (the service worker removes a replaced build's).
 */
export function warmCache(url: string, cacheName: string): Promise<number> {
  return shared(warming, url, () => store(url, cacheName));
}

async function store(url: string, cacheName: string): Promise<number> {
  const reading = inFlight.get(url);
  if (reading) return reading.then(() => 0, () => 0);
  if (await cachedResponse(url, cacheName)) return 0;
  const response = await fetch(url, { priority: 'low', headers: passThrough(url) });
  if (!response.ok) throw new Error(`HTTP ${response.status} for ${url}`);
  const bytes = Number(response.headers.get('content-length') ?? 0);
  if (!(await keep(url, response, cacheName))) throw new Error('the offline cache of this guest build is gone');
  return bytes;
}

/**
 * Stores `response` in the build's cache; false (and the body dropped) if that
 * cache is gone, which only the service worker makes: never brought back for a
 * build it has replaced.
 */
async function keep(url: string, response: Response, cacheName: string): Promise<boolean> {
  if (!(await globalThis.caches?.has(cacheName).catch(() => false))) {
    await response.body?.cancel();
    return false;
  }
  await (await caches.open(cacheName)).put(url, response);
  return true;
}

/** `load()`, unless a load of `url` recorded in `pending` is on its way: then that one. */
function shared<T>(pending: Map<string, Promise<T>>, url: string, load: () => Promise<T>): Promise<T> {
  let loading = pending.get(url);
  if (!loading) {
    loading = load().finally(() => pending.delete(url));
    pending.set(url, loading);
  }
  return loading;
}

function cachedResponse(url: string, cacheName: string): Promise<Response | undefined> {
  return globalThis.caches?.match(url, { cacheName }).catch(() => undefined) ?? Promise.resolve(undefined);
}

async function fromNetwork(url: string, cacheName?: string): Promise<Uint8Array> {
  const response = await fetch(url, cacheName === undefined ? undefined : { headers: passThrough(url) });
  if (!response.ok) throw new Error(`HTTP ${response.status} for ${url}`);
  // The cache streams its copy while this one is read; a file that could not be
  // stored (a full quota, say) is still used, and fetched again next time.
  if (cacheName !== undefined) void keep(url, response.clone(), cacheName).catch(() => undefined);
  return new Uint8Array(await response.arrayBuffer());
}
