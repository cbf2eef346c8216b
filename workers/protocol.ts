// The one typed boundary between the UI and the VM worker. The UI imports
// only types from here and talks to the worker through comlink; it never sees v86.

/** Where a start should come from. Each falls back to the next, with a stated reason. */
export type StartSource = 'saved' | 'snapshot' | 'cold';

export type BootPhase =
  | 'idle'
  | 'loading-manifest'
  | 'downloading'      // bios, kernel, snapshot, disk parts
  | 'restoring'        // restore_state from a saved or shipped snapshot
  | 'booting'          // cold boot: kernel + init
  | 'starting-docker'  // guest up, waiting for dockerd
  | 'ready'
  | 'stopped'
  | 'unresponsive'     // agent missed its heartbeats
  | 'error';

export interface BootProgress {
  phase: BootPhase;
  /** What is being fetched or done, in words a learner can read. */
  detail: string;
  bytesLoaded: number;
  bytesTotal: number;
}

export interface StartOptions {
  from: StartSource;
  /** Base URL of the guest artifacts (the folder holding manifest.json). */
  guestBaseUrl: string;
}

export interface StartResult {
  /** Where the VM really came from, after any fallback. */
  source: StartSource;
  /** Why a fallback happened (e.g. "saved state is from another guest build"), empty when none. */
  fallbackReasons: string[];
  ms: number;
  guestBuildId: string;
  /**
   * When each part of the start ended, in epoch milliseconds (`performance.timeOrigin`
   * + `performance.now()`, comparable with the page's own clock): where a wait goes.
   */
  milestones: StartMilestone[];
}

export type StartMilestoneName = 'worker-created' | 'start-called' | 'manifest' | 'saved-read' | 'emulator-loaded' | 'emulator-started' | 'agent-answered';

export interface StartMilestone {
  name: StartMilestoneName;
  at: number;
}

export interface ExecOptions {
  timeoutMs?: number;
  cwd?: string;
  env?: Record<string, string>;
  /** Bytes fed to the command's standard input; /dev/null when absent. */
  stdin?: Uint8Array | string;
  /**
   * The lab's own bookkeeping (a poll of published ports, a lesson's files),
   * not something the learner asked for: it does not stop the background
   * warm-up that follows a resume.
   */
  background?: boolean;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
  /** Output past the agent's limit was dropped; stdout/stderr end with a visible marker. */
  truncated: boolean;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** An HTTP request made inside the lab machine to one of its ports (the port preview). */
export interface HttpRequest {
  /** A TCP port of the lab machine, e.g. one a container publishes with `docker run -p`. */
  port: number;
  method: HttpMethod;
  /** Path and query, starting with "/". */
  path: string;
  headers?: Record<string, string>;
  /** Sent for every method but GET; at most 64 KiB. */
  body?: Uint8Array | string;
  /** 1000..120000; 30 s when absent. */
  timeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  statusText: string;
  /** In order, names in lower case; repeated headers stay separate. */
  headers: Array<[string, string]>;
  body: Uint8Array;
  /** The body was longer than 1 MiB and was cut there. */
  truncated: boolean;
  ms: number;
}

export interface SavedStateInfo {
  slot: 'a' | 'b';
  guestBuildId: string;
  savedAt: string;
  bytes: number;
  sha256: string;
}

export interface SaveResult {
  ok: boolean;
  info?: SavedStateInfo;
  /** Set when !ok: what went wrong and what is kept (e.g. quota: bytes needed vs available). */
  error?: string;
  ms: number;
  /** Where the time went, in ms (for measurements; never asserted). */
  timings?: SaveTimings;
}

export interface SaveTimings {
  /** Waiting for the emulator to stop (v86 stops at its next tick) and the disk reads in flight to be answered. */
  pause?: number;
  /** v86 saving all but the RAM, and finding the RAM pages in use (ram-view-save.ts); the machine is paused. */
  saveState?: number;
  /** From the save's start until the guest ran again (it stands still that long). */
  paused?: number;
  /** Packing the frames (each hashed and stored as it comes: state-store.ts). */
  compress: number;
  /** What IndexedDB still had to store after the packing, and the commit. */
  write: number;
}

export interface VmStatus {
  phase: BootPhase;
  guestBuildId: string | null;
  source: StartSource | null;
  lastHeartbeatMs: number | null;
  savedState: SavedStateInfo | null;
  /** A save is under way (the emulator is paused for part of it). */
  saving: boolean;
  /** A saved state that was refused at start, kept (not deleted) so the user can decide. */
  refusedState: { info: SavedStateInfo; reason: string } | null;
  /** A part of the lab's disk could not be loaded (e.g. offline and never cached); the guest waits while it is retried. */
  diskTrouble: string | null;
  /** The background fetch of the disk parts a learner's first commands read (null: none under way or none to do). */
  diskPrefetch: DiskPrefetchProgress | null;
}

/** The background fetch of the disk parts a learner's first commands read (workers/disk-prefetch.ts). */
export interface DiskPrefetchProgress {
  /** Parts on the list. */
  parts: number;
  /** Parts looked at so far: fetched, found cached, or given up on. */
  done: number;
  /** Bytes fetched from the server (parts already cached count nothing). */
  fetchedBytes: number;
  /** Why the prefetch stopped early (offline, a server error), or null. */
  stoppedBy: string | null;
}

/** Callbacks are passed through comlink.proxy(). */
export interface VmListeners {
  onOutput(data: Uint8Array): void;
  onProgress(progress: BootProgress): void;
  onStatus(status: VmStatus): void;
}

/** The API the worker exposes (comlink.expose) and the UI wraps (comlink.wrap<VmApi>). */
export interface VmApi {
  listen(listeners: VmListeners): void;
  start(options: StartOptions): Promise<StartResult>;
  /** Terminal input (keystrokes, pastes) for the guest console. */
  write(data: string): void;
  resize(cols: number, rows: number): Promise<void>;
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  writeFile(path: string, data: Uint8Array | string, mode?: number): Promise<void>;
  readFile(path: string): Promise<Uint8Array>;
  /** Rejects with a message a learner can act on (e.g. connection refused) when there is no HTTP answer. */
  httpRequest(request: HttpRequest): Promise<HttpResponse>;
  save(): Promise<SaveResult>;
  /** Throw away the running VM and start from the shipped snapshot. Saved states are kept. */
  reset(): Promise<StartResult>;
  status(): Promise<VmStatus>;
  /** Export the current saved state as one file a teacher can hand out. */
  exportState(): Promise<Uint8Array>;
  importState(file: Uint8Array): Promise<SavedStateInfo>;
}
