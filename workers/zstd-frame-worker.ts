// A helper worker of the frame codec pool (frame-codec-pool.ts): packs or
// unpacks one zstd frame per message and hands the bytes back without a copy,
// or, for a save's frame, its Blob and SHA-256 (frame-codec.ts StoredFrame).

import zstdWasmUrl from '../node_modules/@bokuweb/zstd-wasm/dist/web/zstd.wasm?url';
import { releaseBuffer } from './bytes';
import { inThreadCodec, loadZstd, runFrame, setZstdWasmUrl } from './frame-codec';
import type { FrameReply, FrameTask } from './frame-codec-pool';

setZstdWasmUrl(new URL(zstdWasmUrl, self.location.href).href);
// Helpers are started ahead of the work (FrameCodecPool.prepare): be ready when it comes.
void loadZstd().catch(() => undefined);

self.addEventListener('message', (event: MessageEvent<FrameTask>) => {
  const { id, op, frame, arg } = event.data;
  const done = runFrame(inThreadCodec, op, frame, arg);
  // The frame (16 MB unpacked) is this helper's own copy: freed now, not at V8's
  // next collection, which let several pile up during a save.
  void done.finally(() => releaseBuffer(frame.buffer as ArrayBuffer)).catch(() => undefined);
  done.then(
    (out) => {
      if (!(out instanceof Uint8Array)) return self.postMessage({ id, ok: true, result: out } satisfies FrameReply);
      // The codec's result may be a view into its wasm heap: send an own copy.
      const bytes = out.byteOffset === 0 && out.byteLength === out.buffer.byteLength ? out : out.slice();
      self.postMessage({ id, ok: true, result: bytes } satisfies FrameReply, { transfer: [bytes.buffer] });
    },
    (err: unknown) => self.postMessage({ id, ok: false, error: err instanceof Error ? err.message : String(err) } satisfies FrameReply),
  );
});
