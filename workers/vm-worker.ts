// Entry point of the dedicated VM worker: the page talks to it only through
// comlink and the VmApi in protocol.ts.

import * as Comlink from 'comlink';
import v86WasmUrl from 'v86/build/v86.wasm?url';
import { VmService } from './vm-service';

const service = new VmService(new URL(v86WasmUrl, self.location.href).href);

self.addEventListener('unhandledrejection', (event) => service.reportUnhandled(event.reason));

Comlink.expose(service);
