import { describe, expect, it } from 'vitest';
import { inThreadCodec, type FrameCodec } from '../../workers/frame-codec';
import { FrameCodecPool, type FrameReply, type FrameTask } from '../../workers/frame-codec-pool';
import { FRAME_BYTES, packState, readingFrom, unpackState } from '../../workers/state-codec';

/**
 * Stands in for a zstd-frame-worker: runs the real codec, answers after a
 * delay that differs per task so replies come back out of order.
 */
class FakeHelper extends EventTarget {
  static made: FakeHelper[] = [];
  terminated = false;
  handled = 0;

  constructor(private readonly behaviour: 'work' | 'crash' = 'work') {
    super();
    FakeHelper.made.push(this);
  }

  postMessage(task: FrameTask): void {
    if (this.behaviour === 'crash') {
      setTimeout(() => this.dispatchEvent(new Event('error', { cancelable: true })), 1);
      return;
    }
    const delay = (task.id * 7) % 5;
    setTimeout(() => {
      if (this.terminated) return;
      const work = task.op === 'compress' ? inThreadCodec.compress(task.frame, task.arg) : inThreadCodec.decompress(task.frame, task.arg);
      void work.then((bytes) => {
        this.handled++;
        this.reply({ id: task.id, ok: true, bytes });
      });
    }, delay);
  }

  terminate(): void {
    this.terminated = true;
  }

  private reply(data: FrameReply): void {
    const event = new Event('message') as Event & { data: FrameReply };
    event.data = data;
    this.dispatchEvent(event);
  }
}

function pool(size: number, behaviour: 'work' | 'crash' = 'work', idleMs = 50): FrameCodecPool {
  return new FrameCodecPool({ createWorker: () => new FakeHelper(behaviour) as unknown as Worker, size, idleMs });
}

/** Three and a half frames of something zstd can shrink but not to nothing. */
function state(): Uint8Array {
  const bytes = new Uint8Array(FRAME_BYTES * 3 + FRAME_BYTES / 2);
  for (let i = 0; i < bytes.length; i += 251) bytes[i] = (i >> 8) & 0xff;
  return bytes;
}

describe('FrameCodecPool', () => {
  it('packs and unpacks a state on helpers exactly as this thread does, frames in order', async () => {
    FakeHelper.made = [];
    const codec = pool(2);
    const raw = state();
    const viaPool = await packState(raw, codec);
    const inThread = await packState(raw);
    expect(viaPool.frameSizes).toEqual(inThread.frameSizes);
    expect(Buffer.compare(Buffer.concat(viaPool.frames), Buffer.concat(inThread.frames))).toBe(0);
    const packed = new Uint8Array(Buffer.concat(viaPool.frames));
    const back = await unpackState(readingFrom(packed), viaPool.frameSizes, viaPool.rawBytes, codec);
    expect(Buffer.compare(back, raw)).toBe(0);
    // Never more helpers than asked for, and both did work.
    expect(FakeHelper.made).toHaveLength(2);
    expect(FakeHelper.made.every((h) => h.handled > 0)).toBe(true);
    codec.dispose();
  });

  it('starts its helpers on prepare() and ends them once idle', async () => {
    FakeHelper.made = [];
    const codec = pool(3, 'work', 20);
    codec.prepare();
    expect(FakeHelper.made).toHaveLength(3);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(FakeHelper.made.every((h) => h.terminated)).toBe(true);
    // Work after that starts new helpers.
    const frame = new Uint8Array(1000).fill(7);
    const packed = await codec.compress(frame, 1);
    expect(Buffer.compare(await codec.decompress(packed, 1000), frame)).toBe(0);
    expect(FakeHelper.made.length).toBeGreaterThan(3);
    codec.dispose();
  });

  it('ends its helpers at once on release(), but not while they have work', async () => {
    FakeHelper.made = [];
    const codec = pool(2, 'work', 60_000);
    const frame = new Uint8Array(1000).fill(9);
    const busy = codec.compress(frame, 1);
    codec.release();
    expect(FakeHelper.made.some((h) => h.terminated)).toBe(false);
    const packed = await busy;
    codec.release();
    expect(FakeHelper.made.length).toBeGreaterThan(0);
    expect(FakeHelper.made.every((h) => h.terminated)).toBe(true);
    // Work after that starts new helpers.
    expect(Buffer.compare(await codec.decompress(packed, 1000), frame)).toBe(0);
    codec.dispose();
  });

  it('redoes the work on this thread when helpers cannot run', async () => {
    const fallbackCalls: string[] = [];
    const fallback: FrameCodec = {
      compress: (frame, level) => (fallbackCalls.push('compress'), inThreadCodec.compress(frame, level)),
      decompress: (frame, size) => (fallbackCalls.push('decompress'), inThreadCodec.decompress(frame, size)),
    };
    const codec = new FrameCodecPool({ createWorker: () => new FakeHelper('crash') as unknown as Worker, size: 2, fallback });
    const raw = state();
    const packed = await packState(raw, codec);
    expect(fallbackCalls.filter((c) => c === 'compress')).toHaveLength(packed.frames.length);
    const back = await unpackState(readingFrom(new Uint8Array(Buffer.concat(packed.frames))), packed.frameSizes, packed.rawBytes, codec);
    expect(Buffer.compare(back, raw)).toBe(0);

    const throwing = new FrameCodecPool({ createWorker: () => { throw new Error('no workers here'); }, size: 2, fallback });
    const frame = new Uint8Array(500).fill(3);
    expect(Buffer.compare(await throwing.decompress(await throwing.compress(frame, 1), 500), frame)).toBe(0);
  });
});
