// A guest file's bytes by URL. A file already in its build's offline cache
// (put there by the service worker or "Make available offline") is read from
// it directly: one request to the browser instead of a trip through the
// service worker, which the browser stops when idle and must start again.
// Only that build's cache is asked, since every build has files of the same names.

/** Fetches on their way, by URL: the guest's read of a part the prefetch is already fetching waits for that fetch. */
const inFlight = new Map<string, Promise<Uint8Array>>();

export function fetchBytes(url: string, cacheName?: string): Promise<Uint8Array> {
  return shared(url, async () => {
    const cached = cacheName === undefined ? undefined : await cachedResponse(url, cacheName);
    return cached ? new Uint8Array(await cached.arrayBuffer()) : fromNetwork(url, 'auto');
  });
}

/**
 * Brings a guest file within reach without keeping its bytes: through the service
 * worker, which stores it in the build's cache, or else into the HTTP cache.
 * Resolves to the bytes fetched, 0 when the build's cache had it.
 */
export async function warmCache(url: string, cacheName: string): Promise<number> {
  if (await cachedResponse(url, cacheName)) return 0;
  return (await shared(url, () => fromNetwork(url, 'low'))).byteLength;
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

async function fromNetwork(url: string, priority: RequestPriority): Promise<Uint8Array> {
  const response = await fetch(url, { priority });
  if (!response.ok) throw new Error(`HTTP ${response.status} for ${url}`);
  return new Uint8Array(await response.arrayBuffer());
}
