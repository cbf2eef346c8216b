// Which files a guest build consists of, as the browser fetches them, and how
// the offline cache for one build is named. Shared by the page and the service
// worker, so it uses nothing but the language: no DOM, no worker globals.

import type { ArtifactFile, GuestManifest } from '../../workers/guest-manifest';
import { diskPartPaths } from '../../workers/disk-parts';
import { GUEST_CACHE_PREFIX } from '../../workers/guest-cache-name';

export { DOWNLOAD_HEADER, GUEST_CACHE_PREFIX, guestCacheName } from '../../workers/guest-cache-name';

/** Cached next to the artifacts: what happened to the previous build's offline copy. */
export const REPLACED_RECORD_PATH = '.lab-offline/replaced.json';

export function buildIdOfCache(cacheName: string): string | null {
  return cacheName.startsWith(GUEST_CACHE_PREFIX) ? cacheName.slice(GUEST_CACHE_PREFIX.length) || null : null;
}

export interface GuestFile {
  /** Relative to manifest.json's folder, as v86 asks for it. */
  path: string;
  /** Bytes as served; null for disk parts, which the manifest only totals. */
  size: number | null;
  /** Checked before a downloaded file is kept; null where the manifest has none (disk parts). */
  sha256: string | null;
}

export interface ReplacedRecord {
  from: string;
  to: string;
  /** How many files of the old build's offline copy were removed. */
  removedFiles: number;
  at: string;
}

function fileOf(a: ArtifactFile): GuestFile {
  return { path: a.path, size: a.size, sha256: a.sha256 };
}

/** Every file a lesson may need from this build, boot files first, then the snapshot, then the disk. */
export function guestFiles(manifest: GuestManifest): GuestFile[] {
  const files = [manifest.bios, manifest.vgaBios, manifest.kernel, manifest.initrd].map(fileOf);
  if (manifest.snapshot) files.push(fileOf(manifest.snapshot));
  for (const path of diskPartPaths(manifest.disk)) files.push({ path, size: null, sha256: null });
  return files;
}

/** Bytes to download for a complete offline copy (manifest.json itself aside). */
export function offlineBytes(manifest: GuestManifest): number {
  let total = manifest.disk.servedBytes;
  for (const f of guestFiles(manifest)) total += f.size ?? 0;
  return total;
}

/**
 * Files of the same build whose bytes changed between two manifests. The build
 * id covers the boot files and the disk, not the snapshot (a better warm-up
 * keeps learners' saves valid), so a rebuilt snapshot arrives under the same id
 * and its cached copy has to go.
 */
export function changedFiles(previous: GuestManifest, next: GuestManifest): string[] {
  if (previous.buildId !== next.buildId) return [];
  const byPath = new Map(guestFiles(previous).map((f) => [f.path, f.sha256]));
  return guestFiles(next)
    .filter((f) => f.sha256 !== null && byPath.has(f.path) && byPath.get(f.path) !== f.sha256)
    .map((f) => f.path);
}

/** A guest manifest or a clear reason why not; the SW must not adopt an error page as a build. */
export function parseGuestManifest(value: unknown): GuestManifest | null {
  if (typeof value !== 'object' || value === null) return null;
  const m = value as Partial<GuestManifest>;
  const isFile = (f: unknown) =>
    typeof f === 'object' && f !== null && typeof (f as ArtifactFile).path === 'string' && typeof (f as ArtifactFile).size === 'number';
  const d = m.disk;
  if (
    m.format !== 1 ||
    typeof m.buildId !== 'string' ||
    !/^[A-Za-z0-9._-]{1,128}$/.test(m.buildId) ||
    ![m.bios, m.vgaBios, m.kernel, m.initrd].every(isFile) ||
    (m.snapshot !== undefined && !isFile(m.snapshot)) ||
    typeof d !== 'object' ||
    d === null ||
    typeof d.url !== 'string' ||
    !Number.isInteger(d.parts) ||
    !Number.isInteger(d.chunkSize) ||
    d.chunkSize <= 0 ||
    typeof d.servedBytes !== 'number' ||
    (d.empty !== undefined && !validRanges(d.empty, d.parts))
  ) {
    return null;
  }
  return m as GuestManifest;
}

/** Empty parts as the build lists them: [first, end) ranges of part numbers, in order, apart. */
function validRanges(value: unknown, parts: number): boolean {
  if (!Array.isArray(value)) return false;
  let next = 0;
  for (const range of value as unknown[]) {
    if (!Array.isArray(range) || range.length !== 2) return false;
    const [first, end] = range as unknown[];
    if (!Number.isInteger(first) || !Number.isInteger(end) || (first as number) < next || (end as number) <= (first as number) || (end as number) > parts) return false;
    next = (end as number) + 1;
  }
  return true;
}
