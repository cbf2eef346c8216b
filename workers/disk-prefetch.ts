// Once the lab is ready, fetches in the background the disk parts that a
// learner's first commands read after a resume (recorded by the build's
// disk-usage step), in the order they read them. v86 reads the disk one
// request after another, so a first `docker run` that needs 76 parts the
// snapshot left on the disk waits for 76 round trips to the server; fetched
// ahead, they come from the browser's cache. Only the fetching happens here:
// the bytes are not kept (the cache keeps them), and the guest's own reads
// share a fetch already on its way (fetch-bytes.ts).

import type { DiskPrefetchProgress } from './protocol';

export interface DiskPrefetchOptions {
  parts: readonly number[];
  /** Resolves when the next part may be fetched (the lab waits for a quiet guest). */
  whenQuiet?(): Promise<void>;
  /** Brings part `index` within reach; resolves to the bytes fetched, 0 if it was cached. */
  warm(index: number): Promise<number>;
  /** Fetches at once (default 2): few, so that the guest's own reads are not queued behind many. */
  concurrency?: number;
  onProgress?(progress: DiskPrefetchProgress): void;
  /** Progress is reported at the start, every this many parts, and at the end. */
  reportEvery?: number;
}

export class DiskPrefetch {
  private stopped = false;
  private next = 0;
  private readonly progress: DiskPrefetchProgress;

  constructor(private readonly options: DiskPrefetchOptions) {
    this.progress = { parts: options.parts.length, done: 0, fetchedBytes: 0, stoppedBy: null };
  }

  /** Resolves when every part is within reach, or the prefetch was stopped or failed. Never rejects. */
  async run(): Promise<DiskPrefetchProgress> {
    const lanes = Math.max(1, this.options.concurrency ?? 2);
    this.report();
    await Promise.all(Array.from({ length: lanes }, () => this.lane()));
    this.report();
    return { ...this.progress };
  }

  stop(reason = 'stopped'): void {
    if (this.stopped) return;
    this.stopped = true;
    this.progress.stoppedBy ??= reason;
  }

  private async lane(): Promise<void> {
    while (!this.stopped && this.next < this.options.parts.length) {
      await this.options.whenQuiet?.();
      if (this.stopped || this.next >= this.options.parts.length) break;
      const index = this.options.parts[this.next++]!;
      try {
        // Not `+= await`: that would read the total before the wait and lose the other lane's bytes.
        const bytes = await this.options.warm(index);
        this.progress.fetchedBytes += bytes;
      } catch (err) {
        // Offline or a failing server: the guest's own reads retry and say so; more
        // background requests would only add to the noise.
        this.stop(`part ${index}: ${err instanceof Error ? err.message : String(err)}`);
      }
      this.progress.done++;
      if (this.progress.done % (this.options.reportEvery ?? 32) === 0) this.report();
    }
  }

  private report(): void {
    this.options.onProgress?.({ ...this.progress });
  }
}
