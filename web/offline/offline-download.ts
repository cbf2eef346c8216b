// "Make available offline": fetches every guest file of one build that the
// build's cache lacks, checks it against the manifest, and stores it there,
// reporting bytes as they arrive. Files already cached (by an earlier run, or
// lazily by the VM) are kept and counted, so a stopped run continues where it was.

import type { GuestManifest } from '../../workers/guest-manifest';
import { megabytes, sha256Hex } from '../../workers/bytes';
import { DOWNLOAD_HEADER, guestCacheName, guestFiles, offlineBytes, parseGuestManifest, type GuestFile } from './guest-files';

export interface DownloadProgress {
  doneBytes: number;
  totalBytes: number;
  doneFiles: number;
  totalFiles: number;
}

export interface DownloadResult extends DownloadProgress {
  /** Bytes that came over the network in this run (the rest was cached before). */
  fetchedBytes: number;
  ms: number;
}

export interface DownloadOptions {
  manifest: GuestManifest;
  /** Absolute URL of the folder holding manifest.json. */
  guestBase: string;
  onProgress(progress: DownloadProgress): void;
  signal?: AbortSignal;
  storage?: CacheStorage;
  fetch?: typeof fetch;
  estimate?: () => Promise<StorageEstimate>;
  /** Parallel requests; a few keep a local server busy without flooding the page. */
  concurrency?: number;
}

export async function downloadGuest(options: DownloadOptions): Promise<DownloadResult> {
  const t0 = Date.now();
  const { manifest, guestBase } = options;
  const storage = options.storage ?? caches;
  const doFetch = options.fetch ?? fetch.bind(globalThis);
  const url = (path: string) => new URL(path, guestBase).href;

  const cache = await storage.open(guestCacheName(manifest.buildId));
  const cachedUrls = new Set((await cache.keys()).map((r) => r.url));
  const files = guestFiles(manifest);
  const progress: DownloadProgress = { doneBytes: 0, totalBytes: offlineBytes(manifest), doneFiles: 0, totalFiles: files.length };
  let partBytes = 0;
  const missing: GuestFile[] = [];
  for (const file of files) {
    if (!cachedUrls.has(url(file.path))) {
      missing.push(file);
      continue;
    }
    const size = file.size ?? (await cachedSize(cache, url(file.path)));
    if (file.size === null) partBytes += size;
    progress.doneBytes += size;
    progress.doneFiles++;
  }
  options.onProgress({ ...progress });
  await ensureRoom(progress.totalBytes - progress.doneBytes, options.estimate);

  // One failure stops the other requests too; what was stored stays stored.
  const stop = new AbortController();
  const onAbort = () => stop.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort);
  let fetchedBytes = 0;
  const queue = missing.slice();
  const worker = async () => {
    for (let file = queue.shift(); file && !stop.signal.aborted; file = queue.shift()) {
      const bytes = await fetchChecked(doFetch, url(file.path), file, stop.signal, (n) => {
        progress.doneBytes += n;
        fetchedBytes += n;
        options.onProgress({ ...progress });
      });
      await store(cache, url(file.path), bytes, progress.totalBytes - progress.doneBytes);
      if (file.size === null) partBytes += bytes.length;
      progress.doneFiles++;
      options.onProgress({ ...progress });
    }
  };
  let firstError: unknown = null;
  const run = async () => {
    try {
      await worker();
    } catch (err) {
      firstError ??= err;
      stop.abort(err);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, run));
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  if (options.signal?.aborted) {
    throw new Error(`Stopped at ${megabytes(progress.doneBytes)} of ${megabytes(progress.totalBytes)} MB. What was downloaded is kept.`);
  }
  if (firstError) throw firstError;
  if (!cachedUrls.has(url('manifest.json'))) await storeManifest(doFetch, cache, url('manifest.json'), manifest.buildId);
  if (partBytes !== manifest.disk.servedBytes) {
    throw new Error(
      `The disk parts add up to ${partBytes} bytes but the manifest says ${manifest.disk.servedBytes}: the server's guest files do not match its manifest.json.`,
    );
  }
  return { ...progress, fetchedBytes, ms: Date.now() - t0 };
}

async function fetchChecked(
  doFetch: typeof fetch,
  url: string,
  file: GuestFile,
  signal: AbortSignal,
  onBytes: (n: number) => void,
): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await doFetch(url, { headers: { [DOWNLOAD_HEADER]: '1' }, cache: 'no-cache', signal });
  } catch (err) {
    if (signal.aborted) throw err;
    throw new Error(`${file.path} could not be downloaded (${errorText(err)}). What was downloaded is kept; try again to continue.`, { cause: err });
  }
  if (!response.ok || !response.body) {
    throw new Error(`${file.path} could not be downloaded: the server answered HTTP ${response.status}. What was downloaded is kept.`);
  }
  const chunks: Uint8Array[] = [];
  let length = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    length += value.length;
    onBytes(value.length);
  }
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.length;
  }
  if (file.size !== null && length !== file.size) {
    throw new Error(`${file.path} arrived with ${length} bytes instead of ${file.size}: the server's files do not match its manifest.json.`);
  }
  if (file.sha256 !== null && (await sha256Hex(bytes)) !== file.sha256) {
    throw new Error(`${file.path} arrived damaged (its SHA-256 does not match the manifest), so it was not kept.`);
  }
  return bytes;
}

/** Offline, the service worker answers manifest.json from the cache, so it has to be there too. */
async function storeManifest(doFetch: typeof fetch, cache: Cache, url: string, buildId: string): Promise<void> {
  const response = await doFetch(url, { headers: { [DOWNLOAD_HEADER]: '1' }, cache: 'no-cache' });
  const text = response.ok ? await response.text() : '';
  const served = parseGuestManifest(safeJson(text));
  if (served?.buildId !== buildId) {
    throw new Error(`The server's manifest.json changed while downloading (now ${served?.buildId ?? 'unreadable'}, was ${buildId}); reload the page and try again.`);
  }
  await cache.put(url, new Response(text, { headers: { 'content-type': 'application/json' } }));
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

async function store(cache: Cache, url: string, bytes: Uint8Array, stillNeeded: number): Promise<void> {
  const response = new Response(bytes as Uint8Array<ArrayBuffer>, {
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) },
  });
  try {
    await cache.put(url, response);
  } catch (err) {
    if (isQuotaError(err)) {
      throw new Error(`The browser ran out of storage for the lab: about ${megabytes(stillNeeded + bytes.length)} MB more are needed. What was downloaded is kept.`, {
        cause: err,
      });
    }
    throw err;
  }
}

async function ensureRoom(needed: number, estimate = defaultEstimate): Promise<void> {
  const { quota, usage } = await estimate().catch((): StorageEstimate => ({}));
  if (quota === undefined || needed <= 0) return;
  const free = quota - (usage ?? 0);
  if (free < needed) {
    throw new Error(`Not enough browser storage: ${megabytes(needed)} MB are needed, ${megabytes(Math.max(0, free))} MB are available to this site. Nothing was downloaded.`);
  }
}

async function cachedSize(cache: Cache, url: string): Promise<number> {
  const response = await cache.match(url);
  if (!response) return 0;
  const header = Number(response.headers.get('content-length'));
  return Number.isFinite(header) && header > 0 ? header : (await response.blob()).size;
}

function isQuotaError(err: unknown): boolean {
  return err instanceof Error && (err.name === 'QuotaExceededError' || /quota/i.test(err.message));
}

function defaultEstimate(): Promise<StorageEstimate> {
  return navigator.storage?.estimate?.() ?? Promise.resolve({});
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
