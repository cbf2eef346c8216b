// Gets a running, responsive guest: from the saved state, else the shipped
// snapshot, else a cold boot. Every step down is recorded as a sentence a
// learner can read, and a machine that fails a step is destroyed before the next.

import { waitForDocker } from './docker-ready';
import { DownloadTracker } from './download-tracker';
import type { GuestManifest } from './guest-manifest';
import { Machine, type MachineState } from './machine';
import type { BootPhase, BootProgress, SavedStateInfo, StartMilestoneName, StartSource } from './protocol';
import type { LoadResult } from './state-store';

const STALL_MS = 90_000;
const RESUME_PING_MS = 60_000;
const COLD_BOOT_MS = 10 * 60_000;
const DOCKER_START_MS = 10 * 60_000;

export interface BootEnv {
  manifest: GuestManifest;
  /** Resolves a manifest-relative path against manifest.json's URL. */
  resolve(path: string): string;
  wasmPath: string;
  /** The saved state, read and unpacked (started before the manifest came; called once at most). */
  loadSaved(): Promise<LoadResult>;
  onOutput(chunk: Uint8Array): void;
  onProgress(progress: BootProgress): void;
  /** The machine currently booting (or null), so console input and async v86 errors reach it. */
  onMachine(machine: Machine | null): void;
  onDiskTrouble(message: string | null): void;
  onMilestone(name: StartMilestoneName): void;
}

export interface Booted {
  machine: Machine;
  /**
   * Settles once a resumed guest has the browser's time (whether or not that
   * worked); commands a learner sends should wait for it.
   */
  clockSet: Promise<void>;
  source: StartSource;
  fallbackReasons: string[];
  refused: { info: SavedStateInfo; reason: string } | null;
}

class Fallback extends Error {}

export async function bootWithFallback(env: BootEnv, from: StartSource): Promise<Booted> {
  const run = new BootRun(env);
  const fallbackReasons: string[] = [];
  const order: StartSource[] =
    from === 'saved' ? ['saved', 'snapshot', 'cold'] : from === 'snapshot' ? ['snapshot', 'cold'] : ['cold'];
  for (const source of order) {
    try {
      const { machine, clockSet } = await run.attempt(source);
      return { machine, clockSet, source, fallbackReasons, refused: run.refused };
    } catch (err) {
      if (source === 'cold' || !(err instanceof Fallback)) throw err;
      fallbackReasons.push(err.message);
    }
  }
  throw new Error('unreachable: the cold boot either returns or throws');
}

class BootRun {
  refused: Booted['refused'] = null;
  private tracker: DownloadTracker | null = null;
  private lastActivity = Date.now();

  constructor(private readonly env: BootEnv) {}

  async attempt(source: StartSource): Promise<{ machine: Machine; clockSet: Promise<void> }> {
    const { env } = this;
    if (source === 'saved') {
      this.progress('loading-manifest', 'Looking for your saved lab');
      // Browsers may refuse storage outright (an embed in another site's page, some private
      // modes); the lab then still runs, only without a save to resume.
      const saved = env.loadSaved().then(
        (loaded) => {
          if (loaded.ok) return loaded.state;
          if (loaded.info) this.refused = { info: loaded.info, reason: loaded.reason };
          throw new Fallback(loaded.reason);
        },
        (err: unknown) => {
          throw new Fallback(`This browser does not let the lab read saved labs here (${errorText(err)}), so it starts fresh.`, { cause: err });
        },
      );
      // The emulator (its wasm, the BIOS) loads while the saved state is read and unpacked.
      return this.resume({ kind: 'buffer', buffer: saved }, 'Your saved lab could not be resumed');
    }
    if (source === 'snapshot') {
      const snapshot = env.manifest.snapshot;
      if (!snapshot) {
        throw new Fallback('This lab build ships no ready-made snapshot, so the machine boots from scratch.');
      }
      return this.resume({ kind: 'snapshot', url: env.resolve(snapshot.path) }, 'The ready-made snapshot could not be used');
    }
    return { machine: await this.coldBoot(), clockSet: Promise.resolve() };
  }

  private async resume(state: MachineState, failure: string): Promise<{ machine: Machine; clockSet: Promise<void> }> {
    const machine = this.createMachine(state);
    try {
      await this.loadWithWatchdog(machine);
      this.env.onMilestone('emulator-loaded');
      this.progress('restoring', 'Resuming the lab machine');
      await machine.started;
      this.env.onMilestone('emulator-started');
      // A save can hold execs of the session that made it still running (a warm-up,
      // a lesson check): they would take the CPU from this session, which cannot
      // stop them. Ended first; the agent handles this session's requests after it.
      machine.agent.killAll().catch(() => undefined);
      // The clock request travels with the first ping, but the lab is ready once
      // the ping answers: setting the clock runs `date` in the guest, 0.1–0.2 s
      // while v86's JIT is cold after a restore, and a learner cannot type a
      // command that fast (the lab's own commands wait for `clockSet`). Should it
      // fail (an agent slow to come back), it is sent again.
      const clock = setGuestClock(machine);
      await pingUntil(machine, RESUME_PING_MS);
      this.env.onMilestone('agent-answered');
      const clockSet = clock.then((ok) => ok || setGuestClock(machine)).then(() => undefined);
      this.greet(machine, state);
      return { machine, clockSet };
    } catch (err) {
      await this.dispose(machine);
      // A saved state refused while the emulator loaded says why itself.
      if (err instanceof Fallback) throw err;
      throw new Fallback(`${failure} (${errorText(err)}).`, { cause: err });
    }
  }

  private async coldBoot(): Promise<Machine> {
    const machine = this.createMachine(undefined);
    try {
      await this.loadWithWatchdog(machine);
      this.progress('booting', 'Booting Linux (this takes a few minutes)');
      await machine.agent.waitReady(COLD_BOOT_MS);
      this.progress('starting-docker', 'Waiting for the Docker engine to start');
      await waitForDocker(machine.agent, DOCKER_START_MS, 2000);
      return machine;
    } catch (err) {
      await this.dispose(machine);
      throw new Error(`The lab machine could not boot: ${errorText(err)}`, { cause: err });
    }
  }

  /**
   * The terminal starts empty after a resume: what the guest printed before
   * the state was taken is gone. The shipped snapshot sits at an idle shell,
   * so an Enter brings its prompt; a learner's save may be inside any program,
   * so they only get a hint.
   */
  private greet(machine: Machine, state: MachineState): void {
    if (state.kind === 'snapshot') {
      machine.sendConsole('\r');
    } else {
      this.env.onOutput(new TextEncoder().encode('\x1b[2m(Resumed your saved lab. Press Enter for a prompt.)\x1b[0m\r\n'));
    }
  }

  private createMachine(state: MachineState | undefined): Machine {
    const { env } = this;
    const tracker = new DownloadTracker(env.manifest, env.resolve, state === undefined ? 'cold' : state.kind === 'snapshot' ? 'snapshot' : 'saved');
    this.tracker = tracker;
    this.progress('downloading', 'Downloading the lab machine');
    const machine = new Machine({
      manifest: env.manifest,
      resolve: env.resolve,
      wasmPath: env.wasmPath,
      state,
      onConsoleOutput: env.onOutput,
      onDiskTrouble: env.onDiskTrouble,
      onProgress: (p) => {
        this.lastActivity = Date.now();
        this.progress('downloading', tracker.update(p));
      },
    });
    env.onMachine(machine);
    return machine;
  }

  /** v86 never reports some failures (a 404 on a file, for one); silence for too long counts as failure. */
  private async loadWithWatchdog(machine: Machine): Promise<void> {
    this.lastActivity = Date.now();
    let timer: ReturnType<typeof setInterval> | undefined;
    const stalled = new Promise<never>((_, reject) => {
      timer = setInterval(() => {
        if (Date.now() - this.lastActivity > STALL_MS) reject(new Error('the download stalled'));
      }, 5000);
    });
    try {
      await Promise.race([machine.loaded, stalled]);
    } finally {
      clearInterval(timer);
    }
  }

  private async dispose(machine: Machine): Promise<void> {
    this.env.onMachine(null);
    await machine.destroy().catch(() => undefined);
  }

  private progress(phase: BootPhase, detail: string): void {
    this.env.onProgress({
      phase,
      detail,
      bytesLoaded: this.tracker?.bytesLoaded ?? 0,
      bytesTotal: this.tracker?.bytesTotal ?? 0,
    });
  }
}

async function pingUntil(machine: Machine, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      await machine.agent.ping(5000);
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`the guest agent did not answer (${errorText(err)})`, { cause: err });
      await sleep(500);
    }
  }
}

/** A resumed guest still has the clock of the moment it was saved. */
async function setGuestClock(machine: Machine): Promise<boolean> {
  const seconds = Math.floor(Date.now() / 1000);
  const result = await machine.agent.exec(`date -u -s @${seconds} >/dev/null 2>&1`, { timeoutMs: 10_000 }).catch(() => null);
  return result?.exitCode === 0;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
