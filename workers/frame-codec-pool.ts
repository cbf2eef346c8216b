// Packs and unpacks zstd frames on helper workers, several at once. A saved
// state is 10–20 frames of 16 MB; unpacking a 93 MB save took the VM worker
// 1.1 s in Chromium, two helpers 0.6 s with their start-up, which is what a learner
// waits for on every visit. A save pauses the guest while it packs (see
// vm-service.ts), so packing has the cores too.
// Hand-written rather than a pool library: it is one message type each way, and
// Vite bundles a worker only from a literal `new Worker(new URL(...))` the
// caller writes.

import { inThreadCodec, runFrame, type FrameCodec, type FrameOp, type FrameOutput, type StoredFrame } from './frame-codec';

export type FrameTask = { id: number; op: FrameOp; frame: Uint8Array; arg: number };
export type FrameReply = { id: number; ok: true; result: FrameOutput } | { id: number; ok: false; error: string };

interface Helper {
  worker: Worker;
  /** Tasks sent to it and not answered yet. */
  pending: Map<number, Queued>;
}

interface Queued {
  op: FrameOp;
  frame: Uint8Array;
  arg: number;
  handOver: boolean;
  resolve(result: FrameOutput): void;
  reject(err: Error): void;
}

export interface FrameCodecPoolOptions {
  createWorker(): Worker;
  size: number;
  /** Helpers end after this long without work, giving their zstd heaps (tens of MB each) back. */
  idleMs?: number;
  /** Where frames go once helper workers have failed (a browser or page that forbids them). */
  fallback?: FrameCodec;
}

export class FrameCodecPool implements FrameCodec {
  private readonly helpers: Helper[] = [];
  private readonly queue: Queued[] = [];
  private readonly idleMs: number;
  private readonly fallback: FrameCodec;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private nextId = 1;
  private broken = false;

  constructor(private readonly options: FrameCodecPoolOptions) {
    this.idleMs = options.idleMs ?? 5000;
    this.fallback = options.fallback ?? inThreadCodec;
  }

  get concurrency(): number {
    return this.broken ? (this.fallback.concurrency ?? 1) : this.options.size;
  }

  compress(frame: Uint8Array, level: number): Promise<Uint8Array> {
    return this.submit('compress', frame, level) as Promise<Uint8Array>;
  }

  decompress(frame: Uint8Array, size: number): Promise<Uint8Array> {
    return this.submit('decompress', frame, size) as Promise<Uint8Array>;
  }

  /** The helper also hashes the frame and makes its Blob: its bytes never come back to this thread. */
  pack(frame: Uint8Array, level: number, handOver = false): Promise<StoredFrame> {
    return this.submit('pack', frame, level, handOver) as Promise<StoredFrame>;
  }

  /** Starts every helper now, so that their start-up (~0.2 s) overlaps whatever comes before the frames. */
  prepare(): void {
    if (this.broken) return;
    while (this.helpers.length < this.options.size && this.addHelper()) {
      /* one more helper per turn */
    }
    this.armIdleTimer();
  }

  /**
   * Ends the helpers now if none has work, rather than after `idleMs`: a save
   * or a resume is done, and their zstd heaps (tens of MB each) go at once.
   */
  release(): void {
    if (this.idle()) {
      clearTimeout(this.idleTimer);
      this.dispose();
    }
  }

  /** Ends every helper; tasks still queued or running are rejected. */
  dispose(): void {
    for (const helper of this.helpers.splice(0)) this.end(helper, new Error('the frame codec was stopped'));
    for (const task of this.queue.splice(0)) task.reject(new Error('the frame codec was stopped'));
  }

  private submit(op: FrameOp, frame: Uint8Array, arg: number, handOver = false): Promise<FrameOutput> {
    if (this.broken) return runFrame(this.fallback, op, frame, arg);
    clearTimeout(this.idleTimer);
    return new Promise<FrameOutput>((resolve, reject) => {
      this.queue.push({ op, frame, arg, handOver: handOver && frame.byteOffset === 0 && frame.byteLength === frame.buffer.byteLength, resolve, reject });
      this.dispatch();
    });
  }

  // One task per helper at a time: the frames are of equal size, and a queue
  // here (not in the helpers' inboxes) means a frame is copied only when it is sent.
  private dispatch(): void {
    while (this.queue.length > 0) {
      const helper = this.idleHelper();
      if (!helper) return;
      const task = this.queue.shift()!;
      const id = this.nextId++;
      helper.pending.set(id, task);
      // A frame handed over goes as it is (it cannot be redone if its helper fails); others are copied.
      const frame = task.handOver ? task.frame : task.frame.slice();
      helper.worker.postMessage({ id, op: task.op, frame, arg: task.arg } satisfies FrameTask, [frame.buffer]);
    }
    this.armIdleTimer();
  }

  private armIdleTimer(): void {
    clearTimeout(this.idleTimer);
    if (this.idle()) {
      this.idleTimer = setTimeout(() => this.dispose(), this.idleMs);
    }
  }

  /** Nothing queued and no helper working. */
  private idle(): boolean {
    return this.queue.length === 0 && this.helpers.every((h) => h.pending.size === 0);
  }

  private idleHelper(): Helper | undefined {
    const free = this.helpers.find((h) => h.pending.size === 0);
    if (free || this.helpers.length >= this.options.size) return free;
    return this.addHelper();
  }

  private addHelper(): Helper | undefined {
    let worker: Worker;
    try {
      worker = this.options.createWorker();
    } catch {
      this.fail();
      return undefined;
    }
    const helper: Helper = { worker, pending: new Map() };
    worker.addEventListener('message', (event: MessageEvent<FrameReply>) => this.answer(helper, event.data));
    // A helper that cannot load (or crashes) fails nothing: its work goes to the fallback.
    worker.addEventListener('error', (event) => {
      event.preventDefault();
      this.fail();
    });
    this.helpers.push(helper);
    return helper;
  }

  private answer(helper: Helper, reply: FrameReply): void {
    const task = helper.pending.get(reply.id);
    if (!task) return;
    helper.pending.delete(reply.id);
    if (reply.ok) task.resolve(reply.result);
    else task.reject(new Error(reply.error));
    this.dispatch();
  }

  /** Helper workers are unusable here: everything in flight is redone by the fallback. */
  private fail(): void {
    this.broken = true;
    const redo: Queued[] = [];
    for (const helper of this.helpers.splice(0)) {
      helper.worker.terminate();
      redo.push(...helper.pending.values());
    }
    redo.push(...this.queue.splice(0));
    for (const task of redo) {
      // A frame handed over to the failed helper went with it (its buffer is detached here).
      if (task.handOver && task.frame.buffer.byteLength === 0) task.reject(new Error('a helper that was packing part of the state stopped'));
      else runFrame(this.fallback, task.op, task.frame, task.arg).then(task.resolve, task.reject);
    }
  }

  private end(helper: Helper, err: Error): void {
    helper.worker.terminate();
    for (const task of helper.pending.values()) task.reject(err);
    helper.pending.clear();
  }
}
