// The VmApi the worker exposes. It owns at most one Machine, keeps the status
// the UI shows, and routes terminal I/O, exec and saves to the right place.

import * as Comlink from 'comlink';
import { DockerWarmUp } from './warm-up';
import { bootWithFallback } from './boot';
import { DiskPrefetch } from './disk-prefetch';
import { diskPartPath } from './disk-parts';
import { warmCache } from './fetch-bytes';
import { guestCacheName } from './guest-cache-name';
import type { GuestManifest } from './guest-manifest';
import { Heartbeat } from './heartbeat';
import { httpExecPlan, parseHttpExecOutput } from './http-request';
import type { Machine } from './machine';
import type {
  BootProgress,
  ExecOptions,
  ExecResult,
  HttpRequest,
  HttpResponse,
  SaveResult,
  SavedStateInfo,
  StartMilestone,
  StartMilestoneName,
  StartOptions,
  StartResult,
  VmApi,
  VmListeners,
  VmStatus,
} from './protocol';
import { StateStore } from './state-store';

const DEFAULT_EXEC_TIMEOUT_MS = 60_000;
/** The disk prefetch fetches a part once the guest has run no busy slice for this long. */
const PREFETCH_QUIET_MS = 250;

export class VmService implements VmApi {
  private listeners: VmListeners | null = null;
  private machine: Machine | null = null;
  /** The agent's requests wait for this: a resumed guest's clock being set (boot.ts). */
  private clockSet: Promise<void> = Promise.resolve();
  private warmUp: DockerWarmUp | null = null;
  private prefetch: DiskPrefetch | null = null;
  private manifest: GuestManifest | null = null;
  private lastStart: StartOptions | null = null;
  private winsize: { cols: number; rows: number } | null = null;
  private starting: Promise<StartResult> | null = null;
  private saving: Promise<SaveResult> | null = null;
  private readonly heartbeat: Heartbeat;
  private state: VmStatus = {
    phase: 'idle',
    guestBuildId: null,
    source: null,
    lastHeartbeatMs: null,
    savedState: null,
    saving: false,
    refusedState: null,
    diskTrouble: null,
    diskPrefetch: null,
  };

  constructor(
    private readonly wasmPath: string,
    private readonly store = new StateStore(),
  ) {
    this.heartbeat = new Heartbeat({
      ping: (timeoutMs) => this.requireMachine().agent.ping(timeoutMs),
      onAlive: (at) => this.setStatus({ lastHeartbeatMs: at, ...(this.state.phase === 'unresponsive' ? { phase: 'ready' } : {}) }),
      onUnresponsive: () => this.setStatus({ phase: 'unresponsive' }),
    });
  }

  listen(listeners: VmListeners): void {
    this.listeners = listeners;
    this.emitStatus();
  }

  start(options: StartOptions): Promise<StartResult> {
    // A second start while one runs would race two emulators for the same
    // listeners; the caller gets the start already under way instead.
    this.starting ??= this.doStart(options).finally(() => (this.starting = null));
    return this.starting;
  }

  reset(): Promise<StartResult> {
    if (!this.lastStart) return Promise.reject(new Error('The lab machine was never started.'));
    return this.start({ ...this.lastStart, from: 'snapshot' });
  }

  write(data: string): void {
    this.warmUp?.stop();
    this.machine?.sendConsole(data);
  }

  async resize(cols: number, rows: number): Promise<void> {
    this.winsize = { cols, rows };
    if (this.state.phase === 'ready') await this.applyWinsize();
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const { background, ...agentOptions } = options;
    if (!background) this.warmUp?.stop();
    const agent = await this.readyAgent();
    const r = await agent.exec(command, {
      ...agentOptions,
      timeoutMs: options.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS,
    });
    return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, ms: r.ms, timedOut: r.timedOut, truncated: r.truncated };
  }

  async writeFile(path: string, data: Uint8Array | string, mode?: number): Promise<void> {
    return (await this.readyAgent()).writeFile(path, data, mode);
  }

  async readFile(path: string): Promise<Uint8Array> {
    return (await this.readyAgent()).readFile(path);
  }

  async httpRequest(request: HttpRequest): Promise<HttpResponse> {
    const plan = httpExecPlan(request);
    const t0 = Date.now();
    const r = await this.exec(plan.command, { stdin: plan.stdin, timeoutMs: plan.timeoutMs });
    const response = { ...parseHttpExecOutput(r, request.port), ms: Date.now() - t0 };
    return Comlink.transfer(response, [response.body.buffer]);
  }

  save(): Promise<SaveResult> {
    // Autosave, the Save button and lessons may ask at once; two saves would
    // pause the machine twice for the same state, so later callers share the first.
    this.saving ??= this.doSave().finally(() => {
      this.saving = null;
      this.setStatus({ saving: false });
    });
    return this.saving;
  }

  async status(): Promise<VmStatus> {
    return { ...this.state };
  }

  exportState(): Promise<Uint8Array> {
    return this.store.exportCurrent();
  }

  async importState(file: Uint8Array): Promise<SavedStateInfo> {
    const info = await this.store.importFile(file, this.manifest?.buildId);
    this.setStatus({ savedState: info, refusedState: null });
    return info;
  }

  /** v86 can only report some failures (a bad snapshot) as unhandled rejections. */
  reportUnhandled(reason: unknown): void {
    this.machine?.fail(reason instanceof Error ? reason : new Error(String(reason)));
  }

  private async doSave(): Promise<SaveResult> {
    const t0 = Date.now();
    const machine = this.machine;
    const buildId = this.manifest?.buildId;
    if (!machine || !buildId || (this.state.phase !== 'ready' && this.state.phase !== 'unresponsive')) {
      return { ok: false, error: 'The lab machine is not running, so there is nothing to save yet.', ms: 0 };
    }
    this.setStatus({ saving: true });
    try {
      // The guest waits while its state is taken and read, so packing has every
      // core (a busy guest and the packing used to share this thread); it runs
      // again once the last frame is read, while the last frames pack and IndexedDB writes.
      this.store.prepare();
      await machine.pause();
      const pause = Date.now() - t0;
      let resumed: Promise<void> | undefined;
      let paused = 0;
      const resume = () => (resumed ??= ((paused = Date.now() - t0), machine.resume()));
      let saveState = 0;
      let result: SaveResult;
      try {
        // Read frame by frame from the guest's memory while the guest waits:
        // v86's own save_state made two copies of up to ~350 MB each (ram-view-save.ts).
        const state = await machine.takeState();
        saveState = Date.now() - t0 - pause;
        result = await this.store.save(state, buildId, resume);
      } finally {
        await resume();
      }
      if (result.ok && result.info) this.setStatus({ savedState: result.info, refusedState: null });
      return { ...result, ms: Date.now() - t0, timings: result.timings && { pause, saveState, paused, ...result.timings } };
    } catch (err) {
      return { ok: false, error: `Saving failed (${err instanceof Error ? err.message : String(err)}). Your previous save is kept.`, ms: Date.now() - t0 };
    }
  }

  private async doStart(options: StartOptions): Promise<StartResult> {
    const t0 = Date.now();
    // A worker's own time origin is the moment the page created it.
    const milestones: StartMilestone[] = [{ name: 'worker-created', at: performance.timeOrigin }];
    const milestone = (name: StartMilestoneName) => milestones.push({ name, at: performance.timeOrigin + performance.now() });
    milestone('start-called');
    this.lastStart = options;
    await this.stopMachine();
    this.setStatus({ phase: 'loading-manifest', source: null });
    try {
      const manifestUrl = new URL('manifest.json', new URL(options.guestBaseUrl, self.location.href)).href;
      this.progress({ phase: 'loading-manifest', detail: 'Reading the lab manifest', bytesLoaded: 0, bytesTotal: 0 });
      const manifestLoad = fetchManifest(manifestUrl);
      // Reading and unpacking a save is most of a resume's wait, and only its
      // last check needs the manifest, so it starts now.
      const saved = options.from === 'saved'
        ? this.store.load(manifestLoad.then((m) => m.buildId)).finally(() => milestone('saved-read'))
        : null;
      saved?.catch(() => undefined);
      const manifest = await manifestLoad;
      milestone('manifest');
      this.manifest = manifest;
      this.setStatus({ guestBuildId: manifest.buildId, savedState: await this.store.current().catch(() => null) });
      const booted = await bootWithFallback(
        {
          manifest,
          resolve: (path) => new URL(path, manifestUrl).href,
          wasmPath: this.wasmPath,
          loadSaved: () => saved ?? this.store.load(manifest.buildId),
          onOutput: (chunk) => notify(() => this.listeners?.onOutput(Comlink.transfer(chunk, [chunk.buffer]))),
          onProgress: (p) => this.progress(p),
          onMachine: (m) => (this.machine = m),
          onDiskTrouble: (message) => this.setStatus({ diskTrouble: message }),
          onMilestone: milestone,
        },
        options.from,
      );
      this.machine = booted.machine;
      this.clockSet = booted.clockSet;
      this.setStatus({ phase: 'ready', source: booted.source, refusedState: booted.refused, lastHeartbeatMs: Date.now() });
      this.progress({ phase: 'ready', detail: 'Ready', bytesLoaded: 0, bytesTotal: 0 });
      await this.applyWinsize();
      this.heartbeat.start();
      // A cold boot has just run Docker's paths already; a resumed machine has not.
      let warmedUp = Promise.resolve();
      if (booted.source !== 'cold') {
        this.warmUp = new DockerWarmUp(booted.machine.agent);
        warmedUp = this.warmUp.start();
      }
      // The warm-up reads what `docker run` needs itself; fetching ahead at the same time
      // only took CPU from it (2 cores, 50 ms per part: the learner's first run after 15 s
      // of reading 4.7-5.8 s without the prefetch, 7.6 s with it running alongside).
      // It starts as soon as the warm-up ends, or the learner stops it.
      void warmedUp.then(() => this.startPrefetch(manifest, manifestUrl, booted.machine));
      return { source: booted.source, fallbackReasons: booted.fallbackReasons, ms: Date.now() - t0, guestBuildId: manifest.buildId, milestones };
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      this.setStatus({ phase: 'error' });
      this.progress({ phase: 'error', detail, bytesLoaded: 0, bytesTotal: 0 });
      throw err instanceof Error ? err : new Error(detail);
    }
  }

  /** The disk parts a learner's first commands read, fetched in the background (disk-prefetch.ts). */
  private async startPrefetch(manifest: GuestManifest, manifestUrl: string, machine: Machine): Promise<void> {
    const parts = manifest.disk.prefetch ?? [];
    const cacheName = guestCacheName(manifest.buildId);
    // Only where the fetched parts are kept: the service worker makes the build's cache
    // when it first sees its manifest (there is none on the development server or an
    // insecure origin). A learner who asked the browser to save data gets no prefetch.
    const saveData = (navigator as { connection?: { saveData?: boolean } }).connection?.saveData === true;
    if (parts.length === 0 || saveData || typeof caches === 'undefined' || !(await caches.has(cacheName).catch(() => false))) return;
    if (this.manifest !== manifest || this.prefetch) return;
    const prefetch = new DiskPrefetch({
      parts,
      // Each part only while the guest is quiet: on 2 cores the fetching (service worker,
      // cache storage, network) took CPU from a learner's command even after the warm-up.
      whenQuiet: () => machine.activity.whenQuiet(PREFETCH_QUIET_MS),
      warm: (index) => warmCache(new URL(diskPartPath(manifest.disk, index), manifestUrl).href, cacheName),
      onProgress: (progress) => {
        if (this.prefetch === prefetch) this.setStatus({ diskPrefetch: progress });
      },
    });
    this.prefetch = prefetch;
    await prefetch.run();
  }

  private async stopMachine(): Promise<void> {
    this.heartbeat.stop();
    this.warmUp?.stop();
    this.warmUp = null;
    this.prefetch?.stop();
    this.prefetch = null;
    this.setStatus({ diskPrefetch: null });
    const machine = this.machine;
    this.machine = null;
    if (machine) {
      await machine.destroy().catch(() => undefined);
      this.setStatus({ phase: 'stopped' });
    }
  }

  private async applyWinsize(): Promise<void> {
    if (!this.winsize || !this.machine) return;
    const { cols, rows } = this.winsize;
    await this.machine.agent.setWinsize('/dev/ttyS0', rows, cols).catch(() => undefined);
  }

  private requireMachine(): Machine {
    if (!this.machine) throw new Error('The lab machine is not running.');
    return this.machine;
  }

  /** The running machine's agent, once a resumed guest's clock is set (nothing the lab runs sees the save's time). */
  private async readyAgent(): Promise<Machine['agent']> {
    const { agent } = this.requireMachine();
    await this.clockSet;
    return agent;
  }

  private progress(p: BootProgress): void {
    if (p.phase !== this.state.phase) this.setStatus({ phase: p.phase });
    notify(() => this.listeners?.onProgress(p));
  }

  private setStatus(patch: Partial<VmStatus>): void {
    this.state = { ...this.state, ...patch };
    this.emitStatus();
  }

  private emitStatus(): void {
    notify(() => this.listeners?.onStatus({ ...this.state }));
  }
}

/**
 * Listener calls cross to the page through comlink and come back as promises;
 * a closed page must not turn each of them into an unhandled rejection.
 */
function notify(call: () => unknown): void {
  try {
    void Promise.resolve(call()).catch(() => undefined);
  } catch {
    // Same as above, for a proxy that throws synchronously once released.
  }
}

async function fetchManifest(url: string): Promise<GuestManifest> {
  let response: Response;
  try {
    response = await fetch(url, { cache: 'no-cache' });
  } catch (err) {
    throw new Error(`The lab files could not be reached at ${url} (${err instanceof Error ? err.message : String(err)}).`, {
      cause: err,
    });
  }
  if (!response.ok) {
    throw new Error(`The lab files are missing: ${url} answered HTTP ${response.status}. Was the guest built (npm run build:guest)?`);
  }
  const manifest = (await response.json()) as GuestManifest;
  if (manifest.format !== 1 || typeof manifest.buildId !== 'string') {
    throw new Error(`${url} is not a guest manifest this lab understands (format ${String(manifest.format)}).`);
  }
  return manifest;
}
