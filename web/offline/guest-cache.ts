// The offline copy of the guest: one Cache per guest build, holding
// manifest.json and whatever artifacts were fetched (lazily as lessons touch
// them, or all at once by "Make available offline"). Adopting a manifest from
// another build deletes the old build's cache and leaves a record of it for
// the learner to read. Works on any CacheStorage, so the service worker uses it
// and tests can hand it an in-memory one.

import type { GuestManifest } from '../../workers/guest-manifest';
import {
  GUEST_CACHE_PREFIX,
  REPLACED_RECORD_PATH,
  buildIdOfCache,
  changedFiles,
  guestCacheName,
  parseGuestManifest,
  type ReplacedRecord,
} from './guest-files';

export class GuestCache {
  private known: string | null = null;
  private adopting: Promise<unknown> = Promise.resolve();

  /**
   * @param storage the origin's CacheStorage
   * @param guestBase absolute URL of the folder holding manifest.json, ending in "/"
   */
  constructor(
    private readonly storage: CacheStorage,
    readonly guestBase: string,
  ) {}

  get manifestUrl(): string {
    return new URL('manifest.json', this.guestBase).href;
  }

  url(path: string): string {
    return new URL(path, this.guestBase).href;
  }

  /** Name of the cache of the build last adopted, or null before any. */
  async currentName(): Promise<string | null> {
    if (this.known && (await this.storage.has(this.known))) return this.known;
    const names = (await this.storage.keys()).filter((n) => buildIdOfCache(n) !== null);
    // Normally one; keys() lists caches in creation order, so the newest wins.
    this.known = names.at(-1) ?? null;
    return this.known;
  }

  async cachedManifest(): Promise<{ response: Response; manifest: GuestManifest } | null> {
    const name = await this.currentName();
    if (!name) return null;
    const response = await (await this.storage.open(name)).match(this.manifestUrl);
    if (!response) return null;
    const manifest = parseGuestManifest(await response.clone().json().catch(() => null));
    return manifest ? { response, manifest } : null;
  }

  /**
   * Makes `manifest` (served as `response`) the current build. Serialised:
   * the lab's worker and its lesson panel ask for manifest.json at the same moment.
   */
  adopt(manifest: GuestManifest, response: Response): Promise<ReplacedRecord | null> {
    const run = this.adopting.then(() => this.doAdopt(manifest, response));
    this.adopting = run.catch(() => undefined);
    return run;
  }

  async replacedRecord(): Promise<ReplacedRecord | null> {
    const name = await this.currentName();
    if (!name) return null;
    const response = await (await this.storage.open(name)).match(this.url(REPLACED_RECORD_PATH));
    return response ? ((await response.json().catch(() => null)) as ReplacedRecord | null) : null;
  }

  async forgetReplacedRecord(): Promise<void> {
    const name = await this.currentName();
    if (name) await (await this.storage.open(name)).delete(this.url(REPLACED_RECORD_PATH));
  }

  private async doAdopt(manifest: GuestManifest, response: Response): Promise<ReplacedRecord | null> {
    const name = guestCacheName(manifest.buildId);
    const others = (await this.storage.keys()).filter((n) => n.startsWith(GUEST_CACHE_PREFIX) && n !== name);
    const cache = await this.storage.open(name);
    let record: ReplacedRecord | null = null;
    if (others.length > 0) {
      let removedFiles = 0;
      for (const other of others) {
        const keys = await (await this.storage.open(other)).keys();
        removedFiles += keys.filter((r) => !r.url.endsWith('/manifest.json') && !r.url.endsWith(REPLACED_RECORD_PATH)).length;
        await this.storage.delete(other);
      }
      record = {
        from: buildIdOfCache(others.at(-1) as string) as string,
        to: manifest.buildId,
        removedFiles,
        at: new Date().toISOString(),
      };
      await cache.put(this.url(REPLACED_RECORD_PATH), jsonResponse(record));
    } else {
      const previous = await cache.match(this.manifestUrl);
      const old = previous ? parseGuestManifest(await previous.json().catch(() => null)) : null;
      for (const path of old ? changedFiles(old, manifest) : []) await cache.delete(this.url(path));
    }
    await cache.put(this.manifestUrl, response);
    this.known = name;
    return record;
  }
}

function jsonResponse(value: unknown): Response {
  return new Response(JSON.stringify(value), { headers: { 'content-type': 'application/json' } });
}
