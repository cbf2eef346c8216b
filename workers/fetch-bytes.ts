// A guest file's bytes by URL. A file already in its build's offline cache
// (put there by the service worker or "Make available offline") is read from
// it directly: one request to the browser instead of a trip through the
// service worker, which the browser stops when idle and must start again.
// Only that build's cache is asked, since every build has files of the same names.

export async function fetchBytes(url: string, cacheName?: string): Promise<Uint8Array> {
  if (cacheName !== undefined) {
    const cached = await globalThis.caches?.match(url, { cacheName }).catch(() => undefined);
    if (cached) return new Uint8Array(await cached.arrayBuffer());
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`HTTP ${response.status} for ${url}`);
  return new Uint8Array(await response.arrayBuffer());
}
