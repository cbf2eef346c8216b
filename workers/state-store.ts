// Saved VM states in IndexedDB. Two slots are written alternately and the
// 'current' pointer moves only after a slot's data and metadata are stored in
// one transaction, so a save that dies halfway (tab closed, quota) never
// destroys the last good state. Nothing here ever deletes a state: refusing
// one only reports why.

import { createStore, get, getMany, set, setMany, type UseStore } from 'idb-keyval';
import type { SaveResult, SavedStateInfo } from './protocol';
import { gunzip, gzip, megabytes, sha256Hex } from './bytes';
import { decodeStateFile, encodeStateFile } from './state-file';

type Slot = SavedStateInfo['slot'];

const CURRENT_KEY = 'current';
const metaKey = (slot: Slot) => `meta-${slot}`;
const dataKey = (slot: Slot) => `data-${slot}`;

export type LoadResult =
  | { ok: true; state: ArrayBuffer; info: SavedStateInfo }
  /** `info` is null when nothing was ever saved in this browser. */
  | { ok: false; reason: string; info: SavedStateInfo | null };

export interface StateStoreOptions {
  /** An idb-keyval store; tests inject one backed by fake-indexeddb. */
  store?: UseStore;
  /** Storage estimate for quota messages; defaults to navigator.storage.estimate. */
  estimate?: () => Promise<{ quota?: number; usage?: number }>;
}

export class StateStore {
  private readonly store: UseStore;
  private readonly estimate: () => Promise<{ quota?: number; usage?: number }>;

  constructor(options: StateStoreOptions = {}) {
    this.store = options.store ?? createStore('docker-lab', 'states');
    this.estimate = options.estimate ?? defaultEstimate;
  }

  async save(state: ArrayBuffer, guestBuildId: string): Promise<SaveResult> {
    const t0 = Date.now();
    const gzipped = await gzip(new Uint8Array(state));
    const info = {
      guestBuildId,
      savedAt: new Date().toISOString(),
      bytes: gzipped.length,
      sha256: await sha256Hex(gzipped),
    };
    try {
      const saved = await this.writeNextSlot(info, gzipped);
      return { ok: true, info: saved, ms: Date.now() - t0 };
    } catch (err) {
      return { ok: false, error: await this.describeWriteError(err, gzipped.length), ms: Date.now() - t0 };
    }
  }

  /** The state the next start from 'saved' would use, without checking it. */
  async current(): Promise<SavedStateInfo | null> {
    const slot = await get<Slot>(CURRENT_KEY, this.store);
    if (slot !== 'a' && slot !== 'b') return null;
    return (await get<SavedStateInfo>(metaKey(slot), this.store)) ?? null;
  }

  async load(expectedBuildId: string): Promise<LoadResult> {
    const checked = await this.readCurrentChecked();
    if (!checked.ok) return checked;
    const { info, gzipped } = checked;
    if (info.guestBuildId !== expectedBuildId) {
      return {
        ok: false,
        info,
        reason: `Your saved lab is from another version of the lab machine (${info.guestBuildId}, this one is ${expectedBuildId}), so it cannot be resumed.`,
      };
    }
    try {
      const raw = await gunzip(gzipped);
      return { ok: true, info, state: raw.buffer as ArrayBuffer };
    } catch {
      return { ok: false, info, reason: 'Your saved lab could not be unpacked: the stored data is damaged.' };
    }
  }

  /** The current saved state as one DLAB1 file. */
  async exportCurrent(): Promise<Uint8Array> {
    const checked = await this.readCurrentChecked();
    if (!checked.ok) throw new Error(checked.reason);
    const { guestBuildId, savedAt, bytes, sha256 } = checked.info;
    return encodeStateFile({ guestBuildId, savedAt, bytes, sha256 }, checked.gzipped);
  }

  /**
   * Stores an exported file as the current state. With `expectedBuildId`,
   * a file from another guest build is rejected up front rather than at the next start.
   */
  async importFile(file: Uint8Array, expectedBuildId?: string): Promise<SavedStateInfo> {
    const { meta, gzipped } = await decodeStateFile(file);
    if (expectedBuildId !== undefined && meta.guestBuildId !== expectedBuildId) {
      throw new Error(
        `This state file was saved with another version of the lab machine (${meta.guestBuildId}); this lab runs ${expectedBuildId}.`,
      );
    }
    try {
      return await this.writeNextSlot(meta, gzipped);
    } catch (err) {
      throw new Error(await this.describeWriteError(err, gzipped.length), { cause: err });
    }
  }

  private async readCurrentChecked(): Promise<
    { ok: true; info: SavedStateInfo; gzipped: Uint8Array } | { ok: false; reason: string; info: SavedStateInfo | null }
  > {
    const slot = await get<Slot>(CURRENT_KEY, this.store);
    if (slot !== 'a' && slot !== 'b') return { ok: false, info: null, reason: 'No saved lab in this browser yet.' };
    const [info, data] = await getMany<unknown>([metaKey(slot), dataKey(slot)], this.store);
    if (!isInfo(info)) {
      return { ok: false, info: null, reason: 'Your saved lab is damaged: its description is missing.' };
    }
    if (!(data instanceof Uint8Array) || data.length !== info.bytes || (await sha256Hex(data)) !== info.sha256) {
      return {
        ok: false,
        info,
        reason: 'Your saved lab is damaged (its checksum does not match), so it cannot be resumed safely.',
      };
    }
    return { ok: true, info, gzipped: data };
  }

  private async writeNextSlot(meta: Omit<SavedStateInfo, 'slot'>, gzipped: Uint8Array): Promise<SavedStateInfo> {
    const current = await get<Slot>(CURRENT_KEY, this.store);
    const slot: Slot = current === 'a' ? 'b' : 'a';
    const info: SavedStateInfo = { slot, ...meta };
    await setMany(
      [
        [dataKey(slot), gzipped],
        [metaKey(slot), info],
      ],
      this.store,
    );
    await set(CURRENT_KEY, slot, this.store);
    return info;
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

function isInfo(value: unknown): value is SavedStateInfo {
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
