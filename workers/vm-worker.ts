// Entry point of the dedicated VM worker: the page talks to it only through
// comlink and the VmApi in protocol.ts.

import * as Comlink from 'comlink';
import v86WasmUrl from 'v86/build/v86.wasm?url';
// By path: the package's exports map does not list its wasm file.
import zstdWasmUrl from '../node_modules/@bokuweb/zstd-wasm/dist/web/zstd.wasm?url';
import { setZstdWasmUrl } from './state-codec';
import { VmService } from './vm-service';

setZstdWasmUrl(new URL(zstdWasmUrl, self.location.href).href);

const service = new VmService(new URL(v86WasmUrl, self.location.href).href);

self.addEventListener('unhandledrejection', (event) => service.reportUnhandled(event.reason));

Comlink.expose(service);
