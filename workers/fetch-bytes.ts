// A guest file's bytes by URL. A file already in its build's offline cache
// (put there by the service worker or "Make available offline") is read from
// it directly: one request to the browser instead of a trip through the
// service worker, which the browser stops when idle and must start again.
// Only that build's cache is asked, since every build has files of the same names.

/** Fetches on their way, by URL: the guest's read of a part the prefetch is already fetching waits for that fetch. */
const inFlight = new Map<string, Promise<Uint8Array>>();

export function fetchBytes(url: string, cacheName?: string, priority: RequestPriority = 'auto'): Promise<Uint8Array> {
  let pending = inFlight.get(url);
  if (!pending) {
    pending = load(url, cacheName, priority).finally(() => inFlight.delete(url));
    inFlight.set(url, pending);
  }
  return pending;
}

/**
 * Brings a guest file within reach without keeping its bytes: through the service
 * worker, which stores it in the build's cache, or else into the HTTP cache.
 * Resolves to the bytes fetched, 0 when the build's cache had it.
 */
export async function warmCache(url: string, cacheName: string): Promise<number> {
  if (await isCached(url, cacheName)) return 0;
  return (await fetchBytes(url, cacheName, 'low')).byteLength;
}

async function load(url: string, cacheName: string | undefined, priority: RequestPriority): Promise<Uint8Array> {
  if (cacheName !== undefined) {
    const cached = await globalThis.caches?.match(url, { cacheName }).catch(() => undefined);
    if (cached) return new Uint8Array(await cached.arrayBuffer());
  }
  const response = await fetch(url, { priority });
  if (!response.ok) throw new Error(`HTTP ${response.status} for ${url}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function isCached(url: string, cacheName: string): Promise<boolean> {
  return (await globalThis.caches?.match(url, { cacheName }).catch(() => undefined)) !== undefined;
}
