// Whether the guest is at work right now. The emulator's pacing (emulator-pacing.ts)
// reports every turn in which the guest ran full slices without halting; a guest
// waiting for a keystroke, a timer or a disk part halts. Background work that shares
// the machine's 2 cores with the emulator (the disk prefetch) waits for a quiet guest,
// so it never slows down a learner's command or the resume's warm-up.

export class GuestActivity {
  private lastBusy = Number.NEGATIVE_INFINITY;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** The guest just ran busy slices. */
  busy(): void {
    this.lastBusy = this.now();
  }

  /** Milliseconds since the guest last ran busy slices. */
  quietFor(): number {
    return this.now() - this.lastBusy;
  }

  /** Resolves once the guest has been quiet for `ms`, looking every `pollMs`. */
  async whenQuiet(ms: number, pollMs = 100): Promise<void> {
    while (this.quietFor() < ms) await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
