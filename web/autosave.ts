// When the learner leaves the tab, the browser may freeze or discard it, so
// the lab saves then. A save pauses the emulator and writes a large state,
// so saves are spaced out (at least `minIntervalMs` between the end of one and
// the start of the next) and never overlap. The store keeps the previous save
// until a new one is complete, so a save cut short by a closing tab loses nothing.

export interface AutosaveOutcome {
  ok: boolean;
  error?: string;
}

/** Time and timers, injectable so the policy can be tested with a fake clock. */
export interface AutosaveClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface AutosaveOptions {
  save(): Promise<AutosaveOutcome>;
  /** False when there is nothing to save now (machine not running, another action under way). */
  canSave?(): boolean;
  /** Told about every autosave that ran, so failures can be shown. */
  onResult?(outcome: AutosaveOutcome): void;
  minIntervalMs?: number;
  clock?: AutosaveClock;
}

export const AUTOSAVE_MIN_INTERVAL_MS = 30_000;

const realClock: AutosaveClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export class Autosave {
  private readonly clock: AutosaveClock;
  private readonly minIntervalMs: number;
  private wanted = false;
  private running = false;
  private lastSavedAt = Number.NEGATIVE_INFINITY;
  private timer: unknown = null;

  constructor(private readonly options: AutosaveOptions) {
    this.clock = options.clock ?? realClock;
    this.minIntervalMs = options.minIntervalMs ?? AUTOSAVE_MIN_INTERVAL_MS;
  }

  /** The page was hidden or is going away: save now, or once the interval allows. */
  request(): void {
    this.wanted = true;
    this.pump();
  }

  /** The learner is back: a save still waiting for its turn is not needed any more. */
  cancel(): void {
    this.wanted = false;
    this.clearTimer();
  }

  /** A save made elsewhere (Save button, lesson) counts towards the interval. */
  noteSaved(): void {
    this.lastSavedAt = this.clock.now();
  }

  dispose(): void {
    this.cancel();
  }

  private pump(): void {
    if (!this.wanted || this.running) return;
    const wait = this.lastSavedAt + this.minIntervalMs - this.clock.now();
    if (wait > 0) {
      this.timer ??= this.clock.setTimeout(() => {
        this.timer = null;
        this.pump();
      }, wait);
      return;
    }
    this.wanted = false;
    if (this.options.canSave && !this.options.canSave()) return;
    this.running = true;
    void this.run();
  }

  private async run(): Promise<void> {
    let outcome: AutosaveOutcome;
    try {
      outcome = await this.options.save();
    } catch (err) {
      outcome = { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    // A failed save also waits out the interval: retrying at once would pause
    // the machine again for the same error (a full disk stays full).
    this.lastSavedAt = this.clock.now();
    this.running = false;
    this.options.onResult?.(outcome);
    this.pump();
  }

  private clearTimer(): void {
    if (this.timer === null) return;
    this.clock.clearTimeout(this.timer);
    this.timer = null;
  }
}
