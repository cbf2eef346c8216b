// Owns the VM worker for one <docker-lab>: creates it on connect, wraps it
// with comlink, mirrors its status into the host, and ends it on disconnect.
// Components see only the VmApi; nothing here knows about v86.

import * as Comlink from 'comlink';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { BootProgress, StartResult, StartSource, VmApi, VmStatus } from '../workers/protocol';
import { serviceWorkerControl } from './offline/service-worker-registration';

export interface VmControllerOptions {
  /** Folder with the guest's manifest.json; read at each start, since the host's attributes may change. */
  guestBaseUrl(): string;
  onOutput(chunk: Uint8Array): void;
}

export class VmController implements ReactiveController {
  api: Comlink.Remote<VmApi> | null = null;
  status: VmStatus | null = null;
  progress: BootProgress | null = null;
  lastStart: StartResult | null = null;
  /** Why the last start failed, in the worker's words. */
  startError: string | null = null;
  starting = false;

  private worker: Worker | null = null;
  private workerReady: Promise<void> | null = null;
  private crashed = false;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly options: VmControllerOptions,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    if (this.worker || this.workerReady) return;
    const pending = serviceWorkerControl().then(() => {
      if (this.workerReady === pending) this.createWorker();
    });
    this.workerReady = pending;
  }

  private createWorker(): void {
    this.worker = new Worker(new URL('../workers/vm-worker.ts', import.meta.url), { type: 'module', name: 'docker-lab-vm' });
    this.worker.addEventListener('error', (e) => this.crash(e.message));
    this.api = Comlink.wrap<VmApi>(this.worker);
    void this.api.listen(
      Comlink.proxy({
        onOutput: (data: Uint8Array) => this.options.onOutput(data),
        onProgress: (p: BootProgress) => {
          this.progress = p;
          this.host.requestUpdate();
        },
        onStatus: (s: VmStatus) => {
          this.status = s;
          this.host.requestUpdate();
        },
      }),
    );
  }

  hostDisconnected(): void {
    this.api?.[Comlink.releaseProxy]();
    this.worker?.terminate();
    this.worker = null;
    this.workerReady = null;
    this.crashed = false;
    this.api = null;
  }

  /** Starts (or restarts) the VM; errors end up in startError, not as rejections. */
  async start(from: StartSource): Promise<StartResult | null> {
    if (this.crashed) {
      this.hostDisconnected();
      this.hostConnected();
    }
    await this.workerReady;
    if (!this.api) return null;
    this.starting = true;
    this.startError = null;
    // Cleared so that "ready with a StartResult" always describes this start, not the previous one.
    this.lastStart = null;
    this.host.requestUpdate();
    try {
      this.lastStart = await this.api.start({ from, guestBaseUrl: this.options.guestBaseUrl() });
      return this.lastStart;
    } catch (err) {
      this.fail(err instanceof Error ? err.message : String(err));
      return null;
    } finally {
      this.starting = false;
      this.host.requestUpdate();
    }
  }

  /** A dead worker never answers, so pending calls are abandoned and the next start gets a new one. */
  private crash(message: string): void {
    this.crashed = true;
    this.starting = false;
    this.fail(`The lab machine's worker stopped${message ? `: ${message}` : ''}. Reload the page or try again.`);
  }

  private fail(message: string): void {
    this.startError = message;
    this.host.requestUpdate();
  }
}
