// A typed wrapper over the part of v86 we use. DOM-free: it runs in the VM
// worker and under Node (image-build boots the guest headless to make the
// ready snapshot). In Node, v86 reads every `url` as a file path, so the
// caller's `resolve` returns file paths there and URLs in the browser.

import { V86 } from 'v86';
import { AgentClient } from './agent-client';
import { ByteBatcher } from './byte-batcher';
import { releaseBuffer } from './bytes';
import { ConsoleInput } from './console-input';
import { diskPartPath, emptyParts } from './disk-parts';
import { paceEmulator } from './emulator-pacing';
import { GuestActivity } from './guest-activity';
import { fetchBytes } from './fetch-bytes';
import { guestCacheName } from './guest-cache-name';
import { jitModulePages, limitJitModulePages } from './jit-module-pages';
import { jitTableWasmLoader } from './jit-table';
import type { GuestManifest } from './guest-manifest';
import { LazyDisk } from './lazy-disk';
import { restoreWithRamView } from './ram-view-restore';
import { takeStateInPlace, type SavableEmulator } from './ram-view-save';
import type { StateSource } from './state-codec';
import { restoreMemorySparsely } from './sparse-restore';
import { v86OptionsFromManifest, type ResolvePath, type V86Config } from './v86-options';

export { v86OptionsFromManifest, type ResolvePath, type V86Config } from './v86-options';

export interface DownloadProgress {
  fileName: string;
  fileIndex: number;
  fileCount: number;
  loaded: number;
  total: number;
}

/** v86's own typings are loose and partly DOM-bound; this is what we rely on. */
interface V86Instance {
  add_listener(event: string, listener: (arg: never) => void): void;
  remove_listener(event: string, listener: (arg: never) => void): void;
  run(): Promise<void>;
  stop(): Promise<void>;
  destroy(): Promise<void>;
  save_state(): Promise<ArrayBuffer>;
  restore_state(state: ArrayBuffer): Promise<void>;
  serial_send_bytes(port: number, data: Uint8Array): void;
  zstd_decompress(size: number, src: Uint8Array): ArrayBuffer;
  zstd_decompress_worker(size: number, src: Uint8Array): Promise<ArrayBuffer>;
  /** v86.wasm's bytes, which v86's zstd worker compiles (v86's own loader sets it). */
  wasm_source?: ArrayBuffer;
}

interface V86ProgressEvent {
  file_index: number;
  file_count: number;
  file_name: string;
  loaded: number;
  total: number;
}

type V86Constructor = new (config: V86Config) => V86Instance;

export type MachineState =
  | { kind: 'snapshot'; url: string }
  /**
   * A promise lets the emulator load while the state is still being read; its rejection
   * fails the load unchanged. The buffer is consumed: detached once restored.
   */
  | { kind: 'buffer'; buffer: ArrayBuffer | Promise<ArrayBuffer> };

export interface MachineOptions {
  manifest: GuestManifest;
  resolve: ResolvePath;
  /** URL of v86.wasm in the browser; its file path under Node. */
  wasmPath: string;
  state?: MachineState;
  onConsoleOutput?(chunk: Uint8Array): void;
  onProgress?(progress: DownloadProgress): void;
  /** A disk part could not be loaded and is being retried; `null` once it came. */
  onDiskTrouble?(message: string | null): void;
  /** Reads a resolved path; the default fetches it (Node callers pass a file reader). */
  readFile?(pathOrUrl: string): Promise<Uint8Array>;
  agentRequestTimeoutMs?: number;
}

/**
 * Disk parts kept in memory once read (256 KiB each). The guest's page cache
 * holds what it uses often; this only spares refetching a part for
 * neighbouring reads.
 */
const DISK_CACHE_PARTS = 128;

/**
 * After emulator-started the guest's UART registers are live but the restored
 * kernel needs a moment before its receive interrupts are dependable. Was 500 ms;
 * in Chromium the agent's first answer after a restore came as fast with 0
 * (0.3–0.5 s either way), so only a short margin is kept.
 */
const INPUT_SETTLE_MS = 100;

/** How long a pause waits for disk reads in flight (a part from the cache takes milliseconds, from a server up to a second). */
const PAUSE_SETTLE_MS = 5000;

export class Machine {
  readonly agent: AgentClient;
  /** Files downloaded and any saved state restored; rejects on a download or restore error. */
  readonly loaded: Promise<void>;
  /** The CPU is running. */
  readonly started: Promise<void>;

  readonly disk: LazyDisk;
  /** Whether the guest is busy (known only where the emulator's pacing runs: a browser worker). */
  readonly activity = new GuestActivity();
  private readonly emulator: V86Instance;
  private readonly listeners: Array<[string, (arg: never) => void]> = [];
  private readonly pendingInput: Array<[number, Uint8Array]> = [];
  private readonly consoleInput = new ConsoleInput({
    send: (bytes) => this.sendSerial(0, bytes),
    // Nothing is handed over until input opens, so a paste waits here rather than in pendingInput.
    backlog: () => (this.inputOpen ? uartBacklog(this.emulator, 0) : Number.POSITIVE_INFINITY),
  });
  private inputOpen = false;
  private destroyed = false;
  private failLoad: (error: Error) => void = () => {};

  constructor(options: MachineOptions) {
    const { manifest, resolve, state } = options;
    const snapshotUrl = state?.kind === 'snapshot' ? state.url : undefined;
    const readFile = options.readFile ?? ((url: string) => fetchBytes(url, guestCacheName(manifest.buildId)));
    const compressed = manifest.disk.url.endsWith('.zst');
    const isEmpty = emptyParts(manifest.disk);
    this.disk = new LazyDisk({
      size: manifest.disk.size,
      chunkSize: manifest.disk.chunkSize,
      cacheParts: DISK_CACHE_PARTS,
      onTrouble: options.onDiskTrouble,
      loadPart: async (index) => {
        if (isEmpty(index)) return new Uint8Array(manifest.disk.chunkSize);
        const bytes = await readFile(resolve(diskPartPath(manifest.disk, index)));
        return compressed ? new Uint8Array(await this.emulator.zstd_decompress_worker(manifest.disk.chunkSize, bytes)) : bytes;
      },
    });
    const config = v86OptionsFromManifest(manifest, resolve, options.wasmPath, this.disk, snapshotUrl, state !== undefined);
    // A saved state is restored by hand after load so that a bad state becomes a
    // rejected promise here instead of an unhandled rejection inside v86.
    if (state?.kind === 'buffer') config.autostart = false;
    config.wasm_fn = jitTableWasmLoader(
      () => readFile(options.wasmPath),
      (original) => { this.emulator.wasm_source = original.slice().buffer; },
    );
    const stateBuffer = state?.kind === 'buffer' ? Promise.resolve(state.buffer) : null;
    // Handled when the emulator has loaded; until then, a rejection is not an unhandled one.
    stateBuffer?.catch(() => undefined);

    const console0 = new ByteBatcher((chunk) => options.onConsoleOutput?.(chunk));
    const serial1 = new ByteBatcher((chunk) => this.agent.feed(chunk));
    this.agent = new AgentClient((bytes) => this.sendSerial(1, bytes), {
      requestTimeoutMs: options.agentRequestTimeoutMs,
    });

    this.emulator = new (V86 as unknown as V86Constructor)(config);
    restoreMemorySparsely(this.emulator);
    if (!inBrowserWorker()) {
      // Node has no global Worker, which v86 wants for unpacking .zst disk
      // parts (lazy-disk.ts asks v86 to unpack them); its synchronous
      // decompressor does the same job in-thread. v86
      // binds this method only once the wasm has loaded, so patching now is in time.
      const emulator = this.emulator;
      emulator.zstd_decompress_worker = async (size, src) => emulator.zstd_decompress(size, src);
    }
    this.on('serial0-output-byte', (b: number) => console0.push(b));
    this.on('serial1-output-byte', (b: number) => serial1.push(b));
    this.on('download-progress', (p: V86ProgressEvent) =>
      options.onProgress?.({
        fileName: p.file_name,
        fileIndex: p.file_index,
        fileCount: p.file_count,
        loaded: p.loaded,
        total: p.total,
      }),
    );

    this.started = new Promise<void>((resolveStarted) => {
      this.on('emulator-started', () => {
        resolveStarted();
        setTimeout(() => this.openInput(), INPUT_SETTLE_MS);
      });
    });

    this.loaded = new Promise<void>((resolveLoaded, rejectLoaded) => {
      this.failLoad = rejectLoaded;
      this.on('download-error', (e: { file_name: string }) =>
        rejectLoaded(new Error(`could not download ${e.file_name}`)),
      );
      this.on('emulator-loaded', () => {
        if (inBrowserWorker()) paceEmulator(this.emulator, undefined, this.activity);
        limitJitModulePages(this.emulator);
        if (!stateBuffer) return resolveLoaded();
        stateBuffer
          .then((buffer) =>
            restoreWithRamView(this.emulator, buffer)
              .then(() => {
                // Promises up the call chain (the save's load, the boot's fallbacks) hold the
                // buffer for the machine's whole life; v86 has copied out what it keeps
                // (state.js slices every buffer, the RAM went into guest memory).
                releaseBuffer(buffer);
                return this.emulator.run();
              })
              .catch((err: unknown) => {
                throw new Error(`the saved state could not be restored: ${errorText(err)}`, { cause: err });
              }),
          )
          .then(resolveLoaded, rejectLoaded);
      });
    });
  }

  /** Console input (keystrokes, pastes) for the guest's ttyS0. */
  sendConsole(data: Uint8Array | string): void {
    this.consoleInput.write(typeof data === 'string' ? new TextEncoder().encode(data) : data);
  }

  /** Lets the caller turn an error v86 could only throw asynchronously into a failed load. */
  fail(error: Error): void {
    this.failLoad(error);
  }

  /**
   * Halts the guest once the disk reads in flight are answered (up to a few
   * seconds; see LazyDisk.settled), then holds back any later answer so that
   * nothing changes its RAM; its clock catches up on resume, as after a host suspend.
   */
  async pause(): Promise<void> {
    if (this.destroyed) return;
    await this.emulator.stop();
    await this.disk.settled(PAUSE_SETTLE_MS);
    this.disk.hold();
  }

  async resume(): Promise<void> {
    if (this.destroyed) return;
    this.disk.release();
    await this.emulator.run();
  }

  /** Pages one compiled JIT module may span (see jit-module-pages.ts), or null before v86 has loaded. */
  jitModulePages(): number | null {
    return jitModulePages(this.emulator);
  }

  saveState(): Promise<ArrayBuffer> {
    return this.emulator.save_state();
  }

  /**
   * The state to read in frames, its RAM read from the guest's memory as each
   * frame is asked for (ram-view-save.ts): only while paused, until read.
   */
  async takeState(): Promise<StateSource> {
    const inPlace = takeStateInPlace(this.emulator as SavableEmulator);
    if (inPlace) return inPlace;
    const state = new Uint8Array(await this.emulator.save_state());
    return { byteLength: state.length, read: (offset, length) => state.slice(offset, offset + length) };
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    this.consoleInput.dispose();
    this.agent.abortAll('the virtual machine was stopped');
    for (const [event, listener] of this.listeners) this.emulator.remove_listener(event, listener);
    this.listeners.length = 0;
    await this.emulator.stop();
    await this.emulator.destroy();
  }

  private on<T>(event: string, listener: (arg: T) => void): void {
    const l = listener as (arg: never) => void;
    this.emulator.add_listener(event, l);
    this.listeners.push([event, l]);
  }

  // Bytes sent before the CPU runs (and shortly after a restore) are dropped
  // by v86, so they wait here.
  private sendSerial(port: number, bytes: Uint8Array): void {
    if (this.destroyed) return;
    if (!this.inputOpen) {
      this.pendingInput.push([port, bytes]);
      return;
    }
    this.emulator.serial_send_bytes(port, bytes);
  }

  private openInput(): void {
    if (this.destroyed) return;
    this.inputOpen = true;
    for (const [port, bytes] of this.pendingInput.splice(0)) this.emulator.serial_send_bytes(port, bytes);
  }
}

/** Node has no global Worker; v86's browser-only paths need one. */
function inBrowserWorker(): boolean {
  return typeof (globalThis as { Worker?: unknown }).Worker !== 'undefined';
}

/** How many input bytes v86's UART still holds for the guest (v86 keeps them in a plain array). */
function uartBacklog(emulator: V86Instance, port: number): number | undefined {
  const internals = emulator as unknown as { v86?: { cpu?: { devices?: Record<string, { input?: { length?: unknown } }> } } };
  const length = internals.v86?.cpu?.devices?.[`uart${port}`]?.input?.length;
  return typeof length === 'number' ? length : undefined;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
