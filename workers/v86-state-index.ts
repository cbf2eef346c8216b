// How v86 0.5 lays out a saved state (its state.js, format 6): a 16-byte header
// (magic, version, total length, index length), a JSON index of the state and
// its buffers, then the buffers, each at a multiple of 4. Read by both sides
// that handle the guest's RAM without v86's copies (ram-view-restore.ts, ram-view-save.ts).

export const STATE_MAGIC = 0x86768676 | 0;
export const STATE_VERSION = 6;
export const INFO_START = 16;
/** Where v86's CPU keeps its packed RAM in its state array (cpu.js get_state). */
export const PACKED_MEMORY_INDEX = 77;

export interface BufferInfo {
  offset: number;
  length: number;
}

export interface StateIndex {
  infoLength: number;
  info: { buffer_infos: BufferInfo[]; state: unknown[] };
  /** The RAM's entry in `info.buffer_infos`, and its index there. */
  memory: BufferInfo;
  memoryId: number;
  blockStart: number;
}

/** The state's JSON index, if it is laid out as v86 0.5 writes it. */
export function readStateIndex(state: ArrayBuffer): StateIndex | null {
  if (state.byteLength < INFO_START) return null;
  const header = new Int32Array(state, 0, 4);
  const infoLength = header[3]!;
  if (header[0] !== STATE_MAGIC || header[1] !== STATE_VERSION || header[2] !== state.byteLength) return null;
  if (infoLength <= 0 || INFO_START + infoLength > state.byteLength) return null;
  let info: { buffer_infos?: unknown; state?: unknown };
  try {
    info = JSON.parse(new TextDecoder().decode(new Uint8Array(state, INFO_START, infoLength))) as typeof info;
  } catch {
    return null;
  }
  const buffers = info.buffer_infos;
  if (!Array.isArray(buffers) || !Array.isArray(info.state)) return null;
  const ref = info.state[PACKED_MEMORY_INDEX] as { __state_type__?: unknown; buffer_id?: unknown } | undefined;
  if (ref?.__state_type__ !== 'Uint8Array' || typeof ref.buffer_id !== 'number') return null;
  const blockStart = (INFO_START + infoLength + 3) & ~3;
  const valid = (b: BufferInfo | undefined): b is BufferInfo =>
    !!b && Number.isSafeInteger(b.offset) && Number.isSafeInteger(b.length) && b.offset >= 0 && b.length >= 0 && blockStart + b.offset + b.length <= state.byteLength;
  const memory = buffers[ref.buffer_id] as BufferInfo | undefined;
  if (!(buffers as Array<BufferInfo | undefined>).every(valid) || !memory) return null;
  return { infoLength, info: info as StateIndex['info'], memory, memoryId: ref.buffer_id, blockStart };
}
