// How a saved v86 state is packed: zstd level 1, in independent frames of
// FRAME_BYTES of raw state. Measured in Chromium on this project's 2-core
// machines, the native gzip CompressionStream took ~11 s for 250 MB while zstd
// level 1 in wasm takes ~2 s for a similar ratio. Frames keep the zstd heap small
// (v86 already holds 512 MB of guest RAM in the same worker) and let the worker
// answer messages between them.

import { compress, decompress, init } from '@bokuweb/zstd-wasm';

export const FRAME_BYTES = 16 * 1024 * 1024;
const ZSTD_LEVEL = 1;
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

export interface PackedState {
  frames: Uint8Array[];
  /** Compressed length of each frame, in order. */
  frameSizes: number[];
  rawBytes: number;
}

let wasmUrl: string | undefined;
let ready: Promise<void> | null = null;

/** The browser needs the bundler's URL of zstd.wasm; Node reads it from the package. */
export function setZstdWasmUrl(url: string): void {
  wasmUrl = url;
}

function loadZstd(): Promise<void> {
  // The package's browser build takes the wasm URL; its Node build (whose
  // typings TypeScript picks) reads the file itself and ignores the argument.
  ready ??= (init as (path?: string) => Promise<void>)(wasmUrl).catch((err: unknown) => {
    ready = null;
    throw new Error(`The compressor could not be loaded (${err instanceof Error ? err.message : String(err)}).`, { cause: err });
  });
  return ready;
}

const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export async function packState(raw: Uint8Array): Promise<PackedState> {
  await loadZstd();
  const frames: Uint8Array[] = [];
  for (let offset = 0; offset < raw.length; offset += FRAME_BYTES) {
    if (offset > 0) await nextTask();
    frames.push(compress(raw.subarray(offset, offset + FRAME_BYTES), ZSTD_LEVEL));
  }
  return { frames, frameSizes: frames.map((f) => f.length), rawBytes: raw.length };
}

/** The raw state; throws if the frames do not add up to what was recorded. */
export async function unpackState(packed: Uint8Array, frameSizes: readonly number[], rawBytes: number): Promise<Uint8Array> {
  await loadZstd();
  const raw = new Uint8Array(rawBytes);
  let inOffset = 0;
  let outOffset = 0;
  for (const size of frameSizes) {
    const frame = packed.subarray(inOffset, inOffset + size);
    if (frame.length !== size || !isZstd(frame)) throw new Error('a frame of the saved state is missing or damaged');
    const expected = Math.min(FRAME_BYTES, rawBytes - outOffset);
    const out = decompress(frame, { defaultHeapSize: expected });
    if (out.length !== expected) throw new Error('a frame of the saved state unpacked to the wrong size');
    raw.set(out, outOffset);
    inOffset += size;
    outOffset += out.length;
  }
  if (inOffset !== packed.length || outOffset !== rawBytes) throw new Error('the saved state does not add up to its recorded size');
  return raw;
}

export function isZstd(data: Uint8Array): boolean {
  return data.length >= 4 && ZSTD_MAGIC.every((b, i) => data[i] === b);
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
