// Saved VM states in IndexedDB. Two slots are written alternately: a save
// clears the slot that is not current (the older save, which nothing resumes),
// writes its data there, and only then stores the slot's metadata and the
// 'current' pointer in one transaction, so a save that dies halfway (tab
// closed, quota) never destroys the last good state. The current save is never
// deleted: refusing one only reports why.
//
// A slot's data is its zstd frames (state-codec.ts), each a Blob under its own
// key (`data-a-0`, `data-a-1`, …), stored as soon as it is packed while the
// others still pack: IndexedDB keeps Blobs out of line, which spares a
// structured clone of ~100 MB, and a resume reads them a frame at a time, each
// hashed and unpacked as it arrives (state-checksum.ts). Older saves keep
// their data under one key (`data-a`): a Blob of all frames, or, from before
// zstd, a gzip'd Uint8Array whose metadata has no `encoding`; they still load.

import { createStore, delMany, get, getMany, keys, set, setMany, type UseStore } from 'idb-keyval';
import type { SaveResult, SavedStateInfo } from './protocol';
import { gunzip, megabytes, sha256Hex } from './bytes';
import type { FrameCodec } from './frame-codec';
import { checksumMatches, checksumOf, framesDigest, framesMatch, type StateChecksum } from './state-checksum';
import { packState, readingFrom, unpackState, type StateSource } from './state-codec';
import { checkPacking, decodeStateFile, encodeStateFile, type StatePacking } from './state-file';

type Slot = SavedStateInfo['slot'];
/** What a slot's metadata record holds: what the UI sees, how the data is packed and where it is. */
type StoredMeta = SavedStateInfo & StatePacking & StateChecksum & DataLayout;
interface DataLayout {
  /** Keys `data-<slot>-0` … `-<n-1>` hold the data; absent in older saves: one key, `data-<slot>`. */
  dataParts?: number;
}
/** A slot's stored bytes, read whole or a range at a time (a Blob since zstd saves, a Uint8Array before). */
interface StoredBytes {
  size: number;
  all(): Promise<Uint8Array>;
  range(offset: number, size: number): Promise<Uint8Array>;
}
type Read =
  | { ok: true; meta: StoredMeta; data: StoredBytes }
  | { ok: false; reason: string; info: SavedStateInfo | null };
type Checked =
  | { ok: true; meta: StoredMeta; payload: Uint8Array }
  | { ok: false; reason: string; info: SavedStateInfo | null };

const CURRENT_KEY = 'current';
const noop = () => undefined;
const DAMAGED = 'Your saved lab is damaged (its checksum does not match), so it cannot be resumed safely.';
const metaKey = (slot: Slot) => `meta-${slot}`;
const dataKey = (slot: Slot) => `data-${slot}`;
const partKey = (slot: Slot, index: number) => `data-${slot}-${index}`;
/** More parts than a 512 MB guest's state could have frames means damaged metadata. */
const MAX_PARTS = 4096;

export type LoadResult =
  | { ok: true; state: ArrayBuffer; info: SavedStateInfo }
  /** `info` is null when nothing was ever saved in this browser. */
  | { ok: false; reason: string; info: SavedStateInfo | null };

export interface StateStoreOptions {
  /** An idb-keyval store; tests inject one backed by fake-indexeddb. */
  store?: UseStore;
  /** Storage estimate for quota messages; defaults to navigator.storage.estimate. */
  estimate?: () => Promise<{ quota?: number; usage?: number }>;
  /** Packs and unpacks the state's zstd frames; defaults to this thread. */
  codec?: FrameCodec;
}

export class StateStore {
  private readonly store: UseStore;
  private readonly estimate: () => Promise<{ quota?: number; usage?: number }>;
  private readonly codec: FrameCodec | undefined;

  constructor(options: StateStoreOptions = {}) {
    this.store = options.store ?? createStore('docker-lab', 'states');
    this.estimate = options.estimate ?? defaultEstimate;
    this.codec = options.codec;
  }

  /** Starts whatever packs and unpacks frames, so that its start-up overlaps the caller's work. */
  prepare(): void {
    this.codec?.prepare?.();
  }

  /**
   * `onRead` is called once the state has been read whole (the guest may run
   * again while its last frames pack), and what it returns is awaited before
   * the save is made current.
   */
  async save(state: ArrayBuffer | StateSource, guestBuildId: string, onRead?: () => unknown): Promise<SaveResult> {
    const t0 = performance.now();
    const slot = await this.nextSlot();
    const cleared = this.clearSlot(slot);
    // Awaited below (as are the writes); seen as handled until then, so a
    // failure is this save's, not an unhandled rejection.
    cleared.catch(noop);
    // Each frame is stored as soon as it is packed, while the others still pack:
    // IndexedDB's writing took 0.6–0.7 s after the packing before. The helpers
    // hash each frame and make its Blob, so the frames' bytes never come to this
    // thread: held here, by the messages that brought them until V8 collected
    // those and by the Blobs' copies, they were ~200 MB of the tab right after a save.
    const writes: Array<Promise<void>> = [];
    let packed: Awaited<ReturnType<typeof packState>>;
    let read: unknown;
    try {
      packed = await packState(state instanceof ArrayBuffer ? new Uint8Array(state) : state, this.codec, (frame, i) => {
        writes[i] = cleared.then(() => set(partKey(slot, i), frame.blob, this.store));
        writes[i].catch(noop);
      }, () => {
        read = onRead?.();
      });
    } catch (err) {
      await Promise.allSettled(writes);
      this.codec?.release?.();
      throw err;
    }
    const packMs = performance.now() - t0;
    await read;
    const frameSha256 = packed.frames.map((f) => f.sha256);
    const frameSizes = packed.frames.map((f) => f.size);
    const meta = {
      guestBuildId,
      savedAt: new Date().toISOString(),
      bytes: frameSizes.reduce((a, b) => a + b, 0),
      sha256: await framesDigest(frameSha256),
      encoding: 'zstd' as const,
      frames: frameSizes,
      rawBytes: packed.rawBytes,
      frameSha256,
      dataParts: writes.length,
    };
    const t1 = performance.now();
    const since = (t: number) => Math.round(performance.now() - t);
    const timings = () => ({ compress: Math.round(packMs), write: since(t1) });
    try {
      await Promise.all(writes);
      const saved = await this.commit(slot, meta);
      return { ok: true, info: saved, ms: since(t0), timings: timings() };
    } catch (err) {
      // Nothing may still be writing once the caller hears of the failure.
      await Promise.allSettled(writes);
      return { ok: false, error: await this.describeWriteError(err, meta.bytes), ms: since(t0), timings: timings() };
    } finally {
      // Only now: a helper's Blob may still be on its way to IndexedDB.
      this.codec?.release?.();
    }
  }

  /** The state the next start from 'saved' would use, without checking it. */
  async current(): Promise<SavedStateInfo | null> {
    const slot = await get<Slot>(CURRENT_KEY, this.store);
    if (slot !== 'a' && slot !== 'b') return null;
    const meta = await get<unknown>(metaKey(slot), this.store);
    return isInfo(meta) ? publicInfo(meta) : null;
  }

  /**
   * Reads, checks and unpacks the current save. The build id it must match may
   * still be on its way (the manifest): reading and unpacking start at once,
   * since they are most of a resume's wait.
   */
  async load(expectedBuildId: string | Promise<string>): Promise<LoadResult> {
    const expectedId = Promise.resolve(expectedBuildId);
    // Seen as handled now: its failure is this load's, reported when it is awaited below.
    expectedId.catch(() => undefined);
    this.prepare();
    const read = await this.readCurrent();
    if (!read.ok) {
      this.codec?.release?.();
      return read;
    }
    const { meta, data } = read;
    const info = publicInfo(meta);
    // The checksum is computed while the frames unpack (restoring is what the
    // learner waits for); nothing unpacked is used unless it matches.
    let intact: Promise<boolean>;
    let unpacking: Promise<Uint8Array>;
    if (meta.encoding === 'zstd' && meta.frameSha256) {
      // Frame by frame: each is hashed and handed to the unpacking as it is read.
      const hashes: Array<Promise<string>> = [];
      unpacking = unpackState((offset, size) => data.range(offset, size), meta.frames!, meta.rawBytes!, this.codec, (frame, i) => {
        hashes[i] = sha256Hex(frame);
        hashes[i].catch(noop); // awaited once the unpacking has stopped
      });
      intact = unpacking.then(noop, noop).then(async () => {
        const list = await Promise.all(hashes);
        // A frame that was never read (the unpacking stopped at damage before it) counts as damaged.
        return list.length === meta.frames!.length && framesMatch(meta, list);
      });
    } else {
      const payload = data.all();
      intact = payload.then((bytes) => checksumMatches(meta, bytes));
      unpacking = payload.then((bytes) =>
        meta.encoding === 'zstd'
          ? unpackState(readingFrom(bytes), meta.frames!, meta.rawBytes!, this.codec)
          : gunzip(bytes),
      );
    }
    intact = intact.catch(() => false);
    void unpacking.then(noop, noop).then(() => this.codec?.release?.());
    const unpacked = unpacking.then((raw) => ({ raw }), () => null);
    const expected = await expectedId;
    if (meta.guestBuildId !== expected) {
      if (!(await intact)) return { ok: false, info, reason: DAMAGED };
      return {
        ok: false,
        info,
        reason: `Your saved lab is from another version of the lab machine (${meta.guestBuildId}, this one is ${expected}), so it cannot be resumed.`,
      };
    }
    const [matches, result] = await Promise.all([intact, unpacked]);
    if (!matches) return { ok: false, info, reason: DAMAGED };
    if (!result) return { ok: false, info, reason: 'Your saved lab could not be unpacked: the stored data is damaged.' };
    return { ok: true, info, state: result.raw.buffer as ArrayBuffer };
  }

  /** The current saved state as one DLAB1 file. */
  async exportCurrent(): Promise<Uint8Array> {
    const checked = await this.readCurrentChecked();
    if (!checked.ok) throw new Error(checked.reason);
    // A file carries the SHA-256 of its whole payload (what state-file.ts checks), not frame checksums.
    const { slot: _slot, frameSha256: _frames, dataParts: _parts, ...meta } = checked.meta;
    return encodeStateFile({ ...meta, sha256: await sha256Hex(checked.payload) }, checked.payload);
  }

  /**
   * Stores an exported file as the current state. With `expectedBuildId`,
   * a file from another guest build is rejected up front rather than at the next start.
   */
  async importFile(file: Uint8Array, expectedBuildId?: string): Promise<SavedStateInfo> {
    const { meta: fileMeta, payload } = await decodeStateFile(file);
    // Stored like a save of this browser: with frame checksums when it has frames.
    const { frameSha256: _ignored, ...rest } = fileMeta;
    const meta = { ...rest, ...(await checksumOf(payload, rest)) };
    if (expectedBuildId !== undefined && meta.guestBuildId !== expectedBuildId) {
      throw new Error(
        `This state file was saved with another version of the lab machine (${meta.guestBuildId}); this lab runs ${expectedBuildId}.`,
      );
    }
    try {
      const slot = await this.nextSlot();
      await this.clearSlot(slot);
      await set(partKey(slot, 0), new Blob([payload as Uint8Array<ArrayBuffer>]), this.store);
      return await this.commit(slot, { ...meta, dataParts: 1 });
    } catch (err) {
      throw new Error(await this.describeWriteError(err, payload.length), { cause: err });
    }
  }

  private async readCurrentChecked(): Promise<Checked> {
    const read = await this.readCurrent();
    if (!read.ok) return read;
    const payload = await read.data.all();
    if (!(await checksumMatches(read.meta, payload))) return { ok: false, info: publicInfo(read.meta), reason: DAMAGED };
    return { ok: true, meta: read.meta, payload };
  }

  /** The current slot's metadata, and its bytes unread, checked for everything but the checksum. */
  private async readCurrent(): Promise<Read> {
    const slot = await get<Slot>(CURRENT_KEY, this.store);
    if (slot !== 'a' && slot !== 'b') return { ok: false, info: null, reason: 'No saved lab in this browser yet.' };
    const meta = await get<unknown>(metaKey(slot), this.store);
    if (!isInfo(meta)) {
      return { ok: false, info: null, reason: 'Your saved lab is damaged: its description is missing.' };
    }
    const info = publicInfo(meta);
    const packingError = checkPacking(meta);
    if (packingError) return { ok: false, info, reason: `Your saved lab cannot be resumed. ${packingError}` };
    const parts = meta.dataParts;
    if (parts !== undefined && !(Number.isSafeInteger(parts) && parts > 0 && parts <= MAX_PARTS)) return { ok: false, info, reason: DAMAGED };
    const stored = parts === undefined
      ? [await get<unknown>(dataKey(slot), this.store)]
      : await getMany<unknown>(Array.from({ length: parts }, (_, i) => partKey(slot, i)), this.store);
    const data = storedBytes(stored);
    if (!data || data.size !== meta.bytes) return { ok: false, info, reason: DAMAGED };
    return { ok: true, meta, data };
  }

  /** The slot that is not current: where the next save goes. */
  private async nextSlot(): Promise<Slot> {
    return (await get<Slot>(CURRENT_KEY, this.store)) === 'a' ? 'b' : 'a';
  }

  /**
   * Deletes the older save in `slot`, its metadata first in the same transaction,
   * so that no metadata describes data being rewritten and its space is free
   * before the new data comes. Listed by key rather than from its metadata, so
   * parts left by a save that died halfway go too.
   */
  private async clearSlot(slot: Slot): Promise<void> {
    const data = dataKey(slot);
    const stale = (await keys<IDBValidKey>(this.store)).filter((k) => k === data || (typeof k === 'string' && k.startsWith(`${data}-`)));
    await delMany([metaKey(slot), ...stale], this.store);
  }

  /** The slot's data is stored: its metadata and the pointer to it go in one transaction. */
  private async commit(slot: Slot, meta: Omit<StoredMeta, 'slot'>): Promise<SavedStateInfo> {
    const stored: StoredMeta = { slot, ...meta };
    await setMany(
      [
        [metaKey(slot), stored],
        [CURRENT_KEY, slot],
      ],
      this.store,
    );
    return publicInfo(stored);
  }

  private async describeWriteError(err: unknown, neededBytes: number): Promise<string> {
    if (!isQuotaError(err)) {
      return `Saving failed (${err instanceof Error ? err.message : String(err)}). Your previous save is kept.`;
    }
    let available = 'unknown';
    try {
      const { quota, usage } = await this.estimate();
      if (quota !== undefined) available = megabytes(Math.max(0, quota - (usage ?? 0)));
    } catch {
      // The estimate only improves the message; the quota error stands on its own.
    }
    return `Not enough browser storage: need ${megabytes(neededBytes)} MB, ${available} MB available (navigator.storage.estimate). Your previous save is kept.`;
  }
}

function isQuotaError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { name?: unknown; message?: unknown };
  return e.name === 'QuotaExceededError' || (typeof e.message === 'string' && /quota/i.test(e.message));
}

/** The metadata without packing details, as the UI sees it. */
function publicInfo(meta: StoredMeta): SavedStateInfo {
  const { slot, guestBuildId, savedAt, bytes, sha256 } = meta;
  return { slot, guestBuildId, savedAt, bytes, sha256 };
}

/** One stored value (an older save), or the Blobs of its parts read as one. */
function storedBytes(parts: unknown[]): StoredBytes | null {
  if (parts.length !== 1 && !parts.every((p) => p instanceof Blob)) return null;
  // A Blob of Blobs refers to their bytes; nothing is read or copied here.
  const data = parts.length === 1 ? parts[0] : new Blob(parts as Blob[]);
  if (data instanceof Uint8Array) {
    return { size: data.length, all: async () => data, range: readingFrom(data) };
  }
  if (data instanceof Blob) {
    return {
      size: data.size,
      all: async () => new Uint8Array(await data.arrayBuffer()),
      range: async (offset, size) => new Uint8Array(await data.slice(offset, offset + size).arrayBuffer()),
    };
  }
  return null;
}

function isInfo(value: unknown): value is StoredMeta {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    (v.slot === 'a' || v.slot === 'b') &&
    typeof v.guestBuildId === 'string' &&
    typeof v.savedAt === 'string' &&
    typeof v.bytes === 'number' &&
    typeof v.sha256 === 'string'
  );
}

async function defaultEstimate(): Promise<{ quota?: number; usage?: number }> {
  return (await globalThis.navigator?.storage?.estimate?.()) ?? {};
}
