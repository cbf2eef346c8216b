// Entry point of the dedicated VM worker: the page talks to it only through
// comlink and the VmApi in protocol.ts.

import * as Comlink from 'comlink';
import v86WasmUrl from 'v86/build/v86.wasm?url';
// By path: the package's exports map does not list its wasm file.
import zstdWasmUrl from '../node_modules/@bokuweb/zstd-wasm/dist/web/zstd.wasm?url';
import { setZstdWasmUrl } from './frame-codec';
import { FrameCodecPool } from './frame-codec-pool';
import { StateStore } from './state-store';
import { VmService } from './vm-service';

setZstdWasmUrl(new URL(zstdWasmUrl, self.location.href).href);

// Up to four helpers pack and unpack a saved state's frames; beyond that the
// frames (10–15 of them) gain little and each helper's heap costs memory.
const cores = navigator.hardwareConcurrency || 2;
const codec = new FrameCodecPool({
  createWorker: () => new Worker(new URL('./zstd-frame-worker.ts', import.meta.url), { type: 'module', name: 'docker-lab-zstd' }),
  size: Math.max(1, Math.min(4, cores)),
});

const service = new VmService(new URL(v86WasmUrl, self.location.href).href, new StateStore({ codec }));

self.addEventListener('unhandledrejection', (event) => service.reportUnhandled(event.reason));

Comlink.expose(service);
