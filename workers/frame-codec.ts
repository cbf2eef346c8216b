// One zstd frame in, one out. The saved state is cut into frames
// (state-codec.ts) so that several can be packed or unpacked at once: in the
// VM worker a pool of helper workers does it (frame-codec-pool.ts); in Node and
// wherever workers are missing, this thread does, one frame per task so the
// worker still answers messages in between.

import { compress, decompress, init } from '@bokuweb/zstd-wasm';
import { sha256Hex } from './bytes';

/**
 * A packed frame on its way to storage: its bytes in a Blob, their SHA-256
 * (hex) and length. A helper that packs a save's frame hands back this rather
 * than the bytes, so the thread that stores it never holds them.
 */
export interface StoredFrame {
  blob: Blob;
  sha256: string;
  size: number;
}

export interface FrameCodec {
  compress(frame: Uint8Array, level: number): Promise<Uint8Array>;
  /** `size`: the frame's unpacked length, known from the state's metadata. */
  decompress(frame: Uint8Array, size: number): Promise<Uint8Array>;
  /**
   * Packs a frame for storage (see StoredFrame); `packForStorage` does it with `compress` where this is missing.
   * `handOver`: the frame is a buffer of its own that the caller no longer needs, so a helper may take it rather than a copy.
   */
  pack?(frame: Uint8Array, level: number, handOver?: boolean): Promise<StoredFrame>;
  /** Frames it packs or unpacks at once (1 where missing). */
  readonly concurrency?: number;
  /** Work is coming soon: get ready for it (a pool starts its helpers). */
  prepare?(): void;
  /** No more work for now: give memory back (a pool ends its idle helpers). */
  release?(): void;
}

export type FrameOp = 'compress' | 'decompress' | 'pack';
export type FrameOutput = Uint8Array | StoredFrame;

/** One frame through `codec`: `arg` is the level to pack at, or the unpacked length. */
export function runFrame(codec: FrameCodec, op: FrameOp, frame: Uint8Array, arg: number): Promise<FrameOutput> {
  if (op === 'pack') return packForStorage(codec, frame, arg);
  return op === 'compress' ? codec.compress(frame, arg) : codec.decompress(frame, arg);
}

export async function packForStorage(codec: FrameCodec, frame: Uint8Array, level: number, handOver = false): Promise<StoredFrame> {
  if (codec.pack) return codec.pack(frame, level, handOver);
  const packed = await codec.compress(frame, level);
  // The Blob takes a copy; the hash reads the bytes before anything else can change them.
  const sha256 = sha256Hex(packed);
  return { blob: new Blob([packed as Uint8Array<ArrayBuffer>]), sha256: await sha256, size: packed.length };
}

let wasmUrl: string | undefined;
let ready: Promise<void> | null = null;

/** The browser needs the bundler's URL of zstd.wasm; Node reads it from the package. */
export function setZstdWasmUrl(url: string): void {
  wasmUrl = url;
}

export function loadZstd(): Promise<void> {
  // The package's browser build takes the wasm URL; its Node build (whose
  // typings TypeScript picks) reads the file itself and ignores the argument.
  ready ??= (init as (path?: string) => Promise<void>)(wasmUrl).catch((err: unknown) => {
    ready = null;
    throw new Error(`The compressor could not be loaded (${err instanceof Error ? err.message : String(err)}).`, { cause: err });
  });
  return ready;
}

const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export const inThreadCodec: FrameCodec = {
  async compress(frame, level) {
    await loadZstd();
    await nextTask();
    return compress(frame, level);
  },
  async decompress(frame, size) {
    await loadZstd();
    await nextTask();
    return decompress(frame, { defaultHeapSize: size });
  },
};
