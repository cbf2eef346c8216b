// The exported state file a teacher can hand out:
//   "DLAB1" | uint32 big-endian JSON length | JSON metadata | packed v86 state
// The state is packed as the metadata's `encoding` says: "zstd" (frames, see
// state-codec.ts), or gzip when absent (files exported before zstd). Everything
// is checked on import so a wrong or damaged file gets a clear error instead of
// a VM that will not boot.

import { isGzip, sha256Hex } from './bytes';
import { isZstd, validFrameSizes } from './state-codec';

const MAGIC = new TextEncoder().encode('DLAB1');
const HEADER_BYTES = MAGIC.length + 4;
const MAX_JSON_BYTES = 64 * 1024;

/** How the state bytes are packed; no encoding means one gzip stream. */
export interface StatePacking {
  encoding?: 'zstd';
  /** zstd: compressed length of each frame. */
  frames?: number[];
  /** zstd: length of the raw v86 state. */
  rawBytes?: number;
  /** zstd saves in IndexedDB: SHA-256 (hex) of each frame (state-checksum.ts); files carry none. */
  frameSha256?: string[];
}

export interface StateFileMeta extends StatePacking {
  guestBuildId: string;
  savedAt: string;
  /** Length of the packed state. */
  bytes: number;
  /** SHA-256 (hex) of the packed state (or, with `frameSha256`, of that list: state-checksum.ts). */
  sha256: string;
}

export class StateFileError extends Error {
  override name = 'StateFileError';
}

export function encodeStateFile(meta: StateFileMeta, payload: Uint8Array): Uint8Array {
  const { guestBuildId, savedAt, bytes, sha256, encoding, frames, rawBytes } = meta;
  const json = new TextEncoder().encode(JSON.stringify({ guestBuildId, savedAt, bytes, sha256, encoding, frames, rawBytes }));
  const out = new Uint8Array(HEADER_BYTES + json.length + payload.length);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(MAGIC.length, json.length);
  out.set(json, HEADER_BYTES);
  out.set(payload, HEADER_BYTES + json.length);
  return out;
}

export async function decodeStateFile(file: Uint8Array): Promise<{ meta: StateFileMeta; payload: Uint8Array }> {
  if (file.length < HEADER_BYTES || !MAGIC.every((b, i) => file[i] === b)) {
    throw new StateFileError('This is not a Docker lab state file (it does not start with "DLAB1").');
  }
  const jsonLength = new DataView(file.buffer, file.byteOffset, file.byteLength).getUint32(MAGIC.length);
  if (jsonLength === 0 || jsonLength > MAX_JSON_BYTES || HEADER_BYTES + jsonLength > file.length) {
    throw new StateFileError('The state file is damaged: its header length is out of range.');
  }
  let meta: unknown;
  try {
    meta = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(file.subarray(HEADER_BYTES, HEADER_BYTES + jsonLength)));
  } catch {
    throw new StateFileError('The state file is damaged: its metadata is not valid JSON.');
  }
  if (!isStateFileMeta(meta)) {
    throw new StateFileError('The state file is damaged: its metadata lacks guestBuildId, savedAt, bytes or sha256.');
  }
  const packingError = checkPacking(meta);
  if (packingError) throw new StateFileError(packingError);
  const payload = file.slice(HEADER_BYTES + jsonLength);
  if (payload.length !== meta.bytes) {
    throw new StateFileError(`The state file is truncated: expected ${meta.bytes} bytes of state, found ${payload.length}.`);
  }
  if (meta.encoding === 'zstd' ? !isZstd(payload) : !isGzip(payload)) {
    throw new StateFileError(`The state file is damaged: the state is not ${meta.encoding ?? 'gzip'} data.`);
  }
  if ((await sha256Hex(payload)) !== meta.sha256) {
    throw new StateFileError('The state file is damaged: its checksum does not match.');
  }
  return { meta, payload };
}

/** Why the packing fields cannot be used, or null when they can. */
export function checkPacking(meta: StatePacking & { bytes: number }): string | null {
  if (meta.encoding === undefined) return meta.frameSha256 === undefined ? null : 'The state is damaged: it has frame checksums but no frames.';
  if (meta.encoding !== 'zstd') {
    return `The state is packed as "${String(meta.encoding)}", which this version of the lab cannot read. Is it from a newer version?`;
  }
  const rawBytes = meta.rawBytes;
  if (typeof rawBytes !== 'number' || !Number.isSafeInteger(rawBytes) || rawBytes <= 0 || !validFrameSizes(meta.frames, meta.bytes, rawBytes)) {
    return 'The state is damaged: its frame list does not match its size.';
  }
  const hashes = meta.frameSha256;
  if (hashes !== undefined && (!Array.isArray(hashes) || hashes.length !== meta.frames!.length || !hashes.every((h) => typeof h === 'string' && /^[0-9a-f]{64}$/.test(h)))) {
    return 'The state is damaged: its frame checksums do not match its frames.';
  }
  return null;
}

function isStateFileMeta(value: unknown): value is StateFileMeta {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.guestBuildId === 'string' &&
    v.guestBuildId.length > 0 &&
    typeof v.savedAt === 'string' &&
    typeof v.bytes === 'number' &&
    Number.isSafeInteger(v.bytes) &&
    typeof v.sha256 === 'string' &&
    /^[0-9a-f]{64}$/.test(v.sha256)
  );
}
