// Pings the guest agent on a fixed beat. A few missed beats in a row mean the
// guest is wedged (kernel panic, OOM, runaway load); one late reply is not.

export interface HeartbeatOptions {
  ping(timeoutMs: number): Promise<number>;
  onAlive(at: number): void;
  onUnresponsive(): void;
  intervalMs?: number;
  missesAllowed?: number;
}

export class Heartbeat {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private misses = 0;
  private unresponsive = false;
  private running = false;

  constructor(private readonly options: HeartbeatOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.misses = 0;
    this.unresponsive = false;
    this.schedule();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    this.timer = setTimeout(() => void this.beat(), this.options.intervalMs ?? 5000);
  }

  private async beat(): Promise<void> {
    const interval = this.options.intervalMs ?? 5000;
    try {
      await this.options.ping(interval - 500);
      this.misses = 0;
      this.unresponsive = false;
      if (this.running) this.options.onAlive(Date.now());
    } catch {
      this.misses++;
      if (!this.unresponsive && this.misses >= (this.options.missesAllowed ?? 3) && this.running) {
        this.unresponsive = true;
        this.options.onUnresponsive();
      }
    }
    if (this.running) this.schedule();
  }
}
