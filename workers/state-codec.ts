// How a saved v86 state is packed: zstd in independent frames of FRAME_BYTES
// of raw state. Measured in Chromium on this project's 2-core machines, the
// native gzip CompressionStream took ~11 s for 250 MB while zstd in wasm takes
// ~1.5 s on one thread for a similar ratio. Level -1 rather than 1: unpacking
// (what a learner waits for on every visit) takes half the time, for a state
// about an eighth larger. Frames keep each zstd heap small (v86 already holds
// 512 MB of guest RAM in the same worker) and can be unpacked several at once
// (frame-codec-pool.ts). Saves from level 1 unpack the same way.

import { releaseBuffer } from './bytes';
import { inThreadCodec, packForStorage, type FrameCodec, type StoredFrame } from './frame-codec';

export const FRAME_BYTES = 16 * 1024 * 1024;
const ZSTD_LEVEL = -1;
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

/** A raw state read in pieces rather than held whole (ram-view-save.ts makes one). */
export interface StateSource {
  readonly byteLength: number;
  /** A new buffer with the bytes at [offset, offset + length), which the caller owns (packState frees it once packed). */
  read(offset: number, length: number): Uint8Array;
}

export interface PackedState {
  /** In order; each ready to store (a Blob, its SHA-256 and length). */
  frames: StoredFrame[];
  rawBytes: number;
}

/**
 * Packs the raw state into frames ready to store: with a pool, its helpers
 * also hash each frame and make its Blob, so the frames' bytes never reach
 * this thread. `onFrame` sees each as soon as it is packed (frames finish in any order).
 * A StateSource is read a frame at a time, one frame per frame the codec packs
 * at once and one more waiting, so the whole raw state is never in memory at once;
 * `onRead` is called once the last frame has been read (the source may change
 * again while the last frames pack).
 */
export async function packState(
  raw: Uint8Array | StateSource,
  codec: FrameCodec = inThreadCodec,
  onFrame?: (frame: StoredFrame, index: number) => void,
  onRead?: () => void,
): Promise<PackedState> {
  const source = raw instanceof Uint8Array ? null : raw;
  const byteLength = source ? source.byteLength : (raw as Uint8Array).length;
  const count = Math.ceil(byteLength / FRAME_BYTES);
  const frames: StoredFrame[] = new Array<StoredFrame>(count);
  let next = 0;
  let failure: { error: unknown } | null = null;
  // Each lane takes the next frame, reads it and waits for its packing; after a
  // failure none takes another, and the caller hears of it once all have stopped
  // (no frame reaches `onFrame` after that).
  const lane = async (): Promise<void> => {
    while (next < count && !failure) {
      const index = next++;
      const offset = index * FRAME_BYTES;
      const length = Math.min(FRAME_BYTES, byteLength - offset);
      let bytes: Uint8Array | undefined;
      try {
        bytes = source ? source.read(offset, length) : (raw as Uint8Array).subarray(offset, offset + length);
        // Reads are taken in order, each at once: the last one read means all were.
        if (index === count - 1) onRead?.();
        // A frame read from a source is its own buffer: a helper may take it instead of a copy.
        frames[index] = await packForStorage(codec, bytes, ZSTD_LEVEL, source !== null);
      } catch (error) {
        failure ??= { error };
        return;
      } finally {
        // Freed now (if still here) rather than at V8's next collection: a save's reads add up to the whole state.
        if (source && bytes && bytes.buffer.byteLength > 0) releaseBuffer(bytes.buffer as ArrayBuffer);
      }
      onFrame?.(frames[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(count, source ? (codec.concurrency ?? 1) + 1 : count) }, lane));
  if (failure) throw (failure as { error: unknown }).error;
  return { frames, rawBytes: byteLength };
}

/**
 * The raw state, unpacked frame by frame as `read` delivers them (the next frame
 * is read while the last one unpacks); throws if the frames do not add up to what
 * was recorded. `frameSizes` must have been validated against the payload's length
 * (validFrameSizes). `onFrame` sees each packed frame before it is unpacked.
 */
export async function unpackState(
  read: (offset: number, size: number) => Promise<Uint8Array>,
  frameSizes: readonly number[],
  rawBytes: number,
  codec: FrameCodec = inThreadCodec,
  onFrame?: (frame: Uint8Array, index: number) => void,
): Promise<Uint8Array> {
  const raw = new Uint8Array(rawBytes);
  const work: Array<Promise<void>> = [];
  let inOffset = 0;
  let outOffset = 0;
  for (const [index, size] of frameSizes.entries()) {
    const expected = Math.min(FRAME_BYTES, rawBytes - outOffset);
    if (expected <= 0) throw new Error('the saved state has more frames than its recorded size');
    const frame = await read(inOffset, size);
    if (frame.length !== size || !isZstd(frame)) throw new Error('a frame of the saved state is missing or damaged');
    onFrame?.(frame, index);
    const at = outOffset;
    const unpacked = codec.decompress(frame, expected).then((out) => {
      if (out.length !== expected) throw new Error('a frame of the saved state unpacked to the wrong size');
      raw.set(out, at);
    });
    // Awaited below; a failure after an earlier frame's throw has nobody left to tell.
    unpacked.catch(() => undefined);
    work.push(unpacked);
    inOffset += size;
    outOffset += expected;
  }
  if (outOffset !== rawBytes) throw new Error('the saved state does not add up to its recorded size');
  await Promise.all(work);
  return raw;
}

export function isZstd(data: Uint8Array): boolean {
  return data.length >= 4 && ZSTD_MAGIC.every((b, i) => data[i] === b);
}

/** `unpackState`'s reader for a payload that is in memory already. */
export function readingFrom(payload: Uint8Array): (offset: number, size: number) => Promise<Uint8Array> {
  return async (offset, size) => payload.subarray(offset, offset + size);
}

/** The frames of a packed state, as views into it; the sizes must have been validated. */
export function splitFrames(packed: Uint8Array, frameSizes: readonly number[]): Uint8Array[] {
  let offset = 0;
  return frameSizes.map((size) => packed.subarray(offset, (offset += size)));
}

/** Frame sizes as recorded in metadata: positive integers adding up to the payload. */
export function validFrameSizes(value: unknown, payloadBytes: number, rawBytes: number): value is number[] {
  if (!Array.isArray(value) || value.length !== Math.ceil(rawBytes / FRAME_BYTES)) return false;
  let sum = 0;
  for (const v of value) {
    if (!Number.isSafeInteger(v) || (v as number) <= 0) return false;
    sum += v as number;
  }
  return sum === payloadBytes;
}
