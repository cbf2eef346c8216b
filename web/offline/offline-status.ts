// How much of one guest build is in this browser's offline cache, and the
// storage figures the learner is shown. Read-only: nothing here changes a cache.

import type { GuestManifest } from '../../workers/guest-manifest';
import { guestCacheName, guestFiles, offlineBytes } from './guest-files';

export interface GuestCacheStatus {
  buildId: string;
  totalFiles: number;
  cachedFiles: number;
  totalBytes: number;
  /** Exact for the boot files and snapshot, pro rata for disk parts (the manifest totals them only). */
  cachedBytes: number;
  /** Every file of the build is cached: with the app shell, the lab runs without a network. */
  complete: boolean;
}

export async function guestCacheStatus(manifest: GuestManifest, guestBase: string, storage: CacheStorage = caches): Promise<GuestCacheStatus> {
  const name = guestCacheName(manifest.buildId);
  const cachedUrls = (await storage.has(name)) ? new Set((await (await storage.open(name)).keys()).map((r) => r.url)) : new Set<string>();
  const files = guestFiles(manifest);
  const partBytes = manifest.disk.parts > 0 ? manifest.disk.servedBytes / manifest.disk.parts : 0;
  let cachedFiles = 0;
  let cachedBytes = 0;
  for (const file of files) {
    if (!cachedUrls.has(new URL(file.path, guestBase).href)) continue;
    cachedFiles++;
    cachedBytes += file.size ?? partBytes;
  }
  return {
    buildId: manifest.buildId,
    totalFiles: files.length,
    cachedFiles,
    totalBytes: offlineBytes(manifest),
    cachedBytes: Math.round(cachedBytes),
    complete: cachedFiles === files.length,
  };
}

export interface StorageStatus {
  usage: number | null;
  quota: number | null;
  /** null where the browser cannot tell. */
  persisted: boolean | null;
}

export async function storageStatus(): Promise<StorageStatus> {
  const storage = globalThis.navigator?.storage;
  const estimate = await storage?.estimate?.().catch(() => null);
  const persisted = await storage?.persisted?.().catch(() => null);
  return { usage: estimate?.usage ?? null, quota: estimate?.quota ?? null, persisted: persisted ?? null };
}
