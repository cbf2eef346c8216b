// Learner input on its way to the guest console. v86 keeps serial input in an
// unbounded array and takes it out one byte at a time with Array#shift, which
// turns a 1 MB paste into minutes of a frozen emulator, and a Ctrl-C typed
// after it would wait behind the whole paste. So input waits here and goes to
// the UART in small slices, only as fast as the guest reads it; and Ctrl-C
// drops whatever is still waiting, as the guest's terminal does with its own
// input queue (ISIG flushes it on INTR), so an interrupted paste stops at once.

export interface ConsoleSink {
  send(bytes: Uint8Array): void;
  /** Bytes the UART holds that the guest has not read yet; undefined if unknown. */
  backlog(): number | undefined;
}

export interface ConsoleInputOptions {
  /** Most bytes handed to the UART at once. */
  sliceBytes?: number;
  /** Hand over more only while the UART holds fewer than this. */
  maxBacklog?: number;
  /** How often to look again while input waits. */
  pollMs?: number;
}

const CTRL_C = 0x03;

export class ConsoleInput {
  private readonly queue: Uint8Array[] = [];
  private queued = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly sliceBytes: number;
  private readonly maxBacklog: number;
  private readonly pollMs: number;

  constructor(
    private readonly sink: ConsoleSink,
    options: ConsoleInputOptions = {},
  ) {
    this.sliceBytes = options.sliceBytes ?? 256;
    this.maxBacklog = options.maxBacklog ?? 64;
    this.pollMs = options.pollMs ?? 4;
  }

  /** Bytes accepted but not yet handed to the UART. */
  get pending(): number {
    return this.queued;
  }

  write(bytes: Uint8Array): void {
    const interrupt = bytes.lastIndexOf(CTRL_C);
    if (interrupt >= 0) {
      this.dispose();
      bytes = bytes.subarray(interrupt);
    }
    if (bytes.length === 0) return;
    this.queue.push(bytes);
    this.queued += bytes.length;
    this.pump();
  }

  dispose(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.queue.length = 0;
    this.queued = 0;
  }

  private pump(): void {
    if (this.timer !== null) return;
    // Unknown backlog (another v86 build): one slice per poll still bounds the UART's queue.
    let budget = this.sink.backlog() === undefined ? this.sliceBytes : Number.POSITIVE_INFINITY;
    while (this.queued > 0 && budget > 0 && (this.sink.backlog() ?? 0) < this.maxBacklog) {
      const slice = this.take(Math.min(this.sliceBytes, budget));
      budget -= slice.length;
      this.sink.send(slice);
    }
    if (this.queued > 0) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.pump();
      }, this.pollMs);
    }
  }

  private take(max: number): Uint8Array {
    const head = this.queue[0]!;
    if (head.length <= max) {
      this.queue.shift();
      this.queued -= head.length;
      return head;
    }
    this.queue[0] = head.subarray(max);
    this.queued -= max;
    return head.subarray(0, max);
  }
}
