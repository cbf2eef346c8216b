// An in-memory CacheStorage with the behaviour the offline code relies on:
// caches listed in creation order, open() creating, put() storing a copy of
// the body, match()/keys() by URL. Node has Request and Response but no caches.

class MemoryCache {
  readonly entries = new Map<string, { body: ArrayBuffer; init: ResponseInit }>();

  constructor(private readonly failPut?: (url: string) => Error | null) {}

  async match(request: RequestInfo | URL): Promise<Response | undefined> {
    const entry = this.entries.get(urlOf(request));
    return entry ? new Response(entry.body.slice(0), entry.init) : undefined;
  }

  async put(request: RequestInfo | URL, response: Response): Promise<void> {
    const url = urlOf(request);
    const error = this.failPut?.(url);
    if (error) throw error;
    const headers: Record<string, string> = {};
    response.headers.forEach((v, k) => (headers[k] = v));
    this.entries.set(url, { body: await response.arrayBuffer(), init: { status: response.status, headers } });
  }

  async delete(request: RequestInfo | URL): Promise<boolean> {
    return this.entries.delete(urlOf(request));
  }

  async keys(): Promise<Request[]> {
    return [...this.entries.keys()].map((url) => new Request(url));
  }
}

export class MemoryCacheStorage {
  readonly caches = new Map<string, MemoryCache>();

  constructor(private readonly failPut?: (url: string) => Error | null) {}

  async open(name: string): Promise<Cache> {
    let cache = this.caches.get(name);
    if (!cache) {
      cache = new MemoryCache(this.failPut);
      this.caches.set(name, cache);
    }
    return cache as unknown as Cache;
  }

  async has(name: string): Promise<boolean> {
    return this.caches.has(name);
  }

  async delete(name: string): Promise<boolean> {
    return this.caches.delete(name);
  }

  async keys(): Promise<string[]> {
    return [...this.caches.keys()];
  }

  /** Like the browser's: every cache in creation order, or only `options.cacheName` (never created by asking). */
  async match(request: RequestInfo | URL, options?: MultiCacheQueryOptions): Promise<Response | undefined> {
    const names = options?.cacheName !== undefined ? [options.cacheName] : [...this.caches.keys()];
    for (const name of names) {
      const hit = await this.caches.get(name)?.match(request);
      if (hit) return hit;
    }
    return undefined;
  }

  /** The URLs stored in one cache, for assertions. */
  urls(name: string): string[] {
    return [...(this.caches.get(name)?.entries.keys() ?? [])];
  }

  asCacheStorage(): CacheStorage {
    return this as unknown as CacheStorage;
  }
}

function urlOf(request: RequestInfo | URL): string {
  return typeof request === 'string' ? request : request instanceof URL ? request.href : request.url;
}
