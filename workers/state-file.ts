// The exported state file a teacher can hand out:
//   "DLAB1" | uint32 big-endian JSON length | JSON metadata | gzip'd v86 state
// Everything is checked on import so a wrong or damaged file gets a clear error
// instead of a VM that will not boot.

import { isGzip, sha256Hex } from './bytes';

const MAGIC = new TextEncoder().encode('DLAB1');
const HEADER_BYTES = MAGIC.length + 4;
const MAX_JSON_BYTES = 64 * 1024;

export interface StateFileMeta {
  guestBuildId: string;
  savedAt: string;
  /** Length of the gzip'd state. */
  bytes: number;
  /** SHA-256 (hex) of the gzip'd state. */
  sha256: string;
}

export class StateFileError extends Error {
  override name = 'StateFileError';
}

export function encodeStateFile(meta: StateFileMeta, gzipped: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(meta));
  const out = new Uint8Array(HEADER_BYTES + json.length + gzipped.length);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(MAGIC.length, json.length);
  out.set(json, HEADER_BYTES);
  out.set(gzipped, HEADER_BYTES + json.length);
  return out;
}

export async function decodeStateFile(file: Uint8Array): Promise<{ meta: StateFileMeta; gzipped: Uint8Array }> {
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
  const gzipped = file.slice(HEADER_BYTES + jsonLength);
  if (gzipped.length !== meta.bytes) {
    throw new StateFileError(`The state file is truncated: expected ${meta.bytes} bytes of state, found ${gzipped.length}.`);
  }
  if (!isGzip(gzipped)) {
    throw new StateFileError('The state file is damaged: the state is not gzip data.');
  }
  if ((await sha256Hex(gzipped)) !== meta.sha256) {
    throw new StateFileError('The state file is damaged: its checksum does not match.');
  }
  return { meta, gzipped };
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
