import { describe, expect, it } from 'vitest';
import { inThreadCodec, runFrame, type FrameCodec } from '../../workers/frame-codec';
import { FrameCodecPool, type FrameReply, type FrameTask } from '../../workers/frame-codec-pool';
import { sha256Hex } from '../../workers/bytes';
import { FRAME_BYTES, packState, readingFrom, unpackState, type PackedState, type StateSource } from '../../workers/state-codec';

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

  /** The frames it was sent, as it got them (transferred buffers move, as between real workers). */
  received: Uint8Array[] = [];

  postMessage(message: FrameTask, transfer: Transferable[] = []): void {
    const task = structuredClone(message, { transfer });
    this.received.push(task.frame);
    if (this.behaviour === 'crash') {
      setTimeout(() => this.dispatchEvent(new Event('error', { cancelable: true })), 1);
      return;
    }
    const delay = (task.id * 7) % 5;
    setTimeout(() => {
      if (this.terminated) return;
      void runFrame(inThreadCodec, task.op, task.frame, task.arg).then((result) => {
        this.handled++;
        this.reply({ id: task.id, ok: true, result });
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

/** The packed frames' bytes, joined as a stored save's are read back. */
async function joined(packed: PackedState): Promise<Uint8Array> {
  return new Uint8Array(Buffer.concat(await Promise.all(packed.frames.map(async (f) => new Uint8Array(await f.blob.arrayBuffer())))));
}

describe('packState from a StateSource', () => {
  it('reads the state a frame at a time, one frame ahead of what the codec packs at once, and packs the same frames', async () => {
    const raw = new Uint8Array(FRAME_BYTES * 7 + 100);
    raw.set(state());
    const reads: number[] = [];
    let ahead = 0;
    let mostAhead = 0;
    const source: StateSource = {
      byteLength: raw.length,
      read(offset, length) {
        reads.push(offset / FRAME_BYTES);
        mostAhead = Math.max(mostAhead, ++ahead);
        return raw.slice(offset, offset + length);
      },
    };
    // Packs slowly, so that reads would run ahead if nothing held them back.
    const slow: FrameCodec = {
      concurrency: 4,
      async compress(frame, level) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        ahead--;
        return inThreadCodec.compress(frame, level);
      },
      decompress: (frame, size) => inThreadCodec.decompress(frame, size),
    };
    const fromSource = await packState(source, slow);
    const whole = await packState(raw);
    expect(reads).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(mostAhead).toBe(5);
    expect(fromSource.rawBytes).toBe(raw.length);
    expect(Buffer.compare(await joined(fromSource), await joined(whole))).toBe(0);
  });
  it('stops reading after a frame fails, and rejects only once no frame is still on its way', async () => {
    const raw = new Uint8Array(FRAME_BYTES * 8);
    const reads: number[] = [];
    const seen: number[] = [];
    const source: StateSource = { byteLength: raw.length, read: (offset, length) => (reads.push(offset / FRAME_BYTES), raw.slice(offset, offset + length)) };
    let calls = 0;
    const failing: FrameCodec = {
      concurrency: 2,
      async compress(frame, level) {
        const call = calls++;
        await new Promise((resolve) => setTimeout(resolve, call === 2 ? 1 : 20));
        if (call === 2) throw new Error('no space left for zstd');
        return inThreadCodec.compress(frame, level);
      },
      decompress: (frame, size) => inThreadCodec.decompress(frame, size),
    };
    await expect(packState(source, failing, (_, i) => seen.push(i))).rejects.toThrow('no space left for zstd');
    const seenAtRejection = [...seen];
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(seen).toEqual(seenAtRejection);
    expect(reads.length).toBeLessThan(8);
  });
});

describe('FrameCodecPool', () => {
  it('packs and unpacks a state on helpers exactly as this thread does, frames in order', async () => {
    FakeHelper.made = [];
    // Not ended while idle in between: the count below is of helpers made.
    const codec = pool(2, 'work', 60_000);
    const raw = state();
    const viaPool = await packState(raw, codec);
    const inThread = await packState(raw);
    const sizes = viaPool.frames.map((f) => f.size);
    expect(sizes).toEqual(inThread.frames.map((f) => f.size));
    const packed = await joined(viaPool);
    expect(Buffer.compare(packed, await joined(inThread))).toBe(0);
    // The helpers hashed what they packed.
    let offset = 0;
    for (const frame of viaPool.frames) expect(frame.sha256).toBe(await sha256Hex(packed.subarray(offset, (offset += frame.size))));
    const back = await unpackState(readingFrom(packed), sizes, viaPool.rawBytes, codec);
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

  it('hands a frame that is its own buffer to a helper instead of copying it, and copies any other', async () => {
    FakeHelper.made = [];
    const codec = pool(1, 'work', 60_000);
    const own = new Uint8Array(4096).fill(5);
    const view = new Uint8Array(8192).fill(6).subarray(0, 4096);
    await codec.pack(own, 1, true);
    await codec.pack(view, 1, true);
    await codec.pack(new Uint8Array(4096).fill(8), 1);
    expect(own.buffer.byteLength).toBe(0);
    expect(view.buffer.byteLength).toBe(8192);
    expect(FakeHelper.made[0]!.received.map((f) => f[0])).toEqual([5, 6, 8]);
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
    const back = await unpackState(readingFrom(await joined(packed)), packed.frames.map((f) => f.size), packed.rawBytes, codec);
    expect(Buffer.compare(back, raw)).toBe(0);

    // A frame handed over went with the helper that crashed: that part of the save fails, and says so.
    const handedOver = new FrameCodecPool({ createWorker: () => new FakeHelper('crash') as unknown as Worker, size: 1, fallback });
    await expect(handedOver.pack(new Uint8Array(1000).fill(7), 1, true)).rejects.toThrow(/helper .* stopped/);

    const throwing = new FrameCodecPool({ createWorker: () => { throw new Error('no workers here'); }, size: 2, fallback });
    const frame = new Uint8Array(500).fill(3);
    expect(Buffer.compare(await throwing.decompress(await throwing.compress(frame, 1), 500), frame)).toBe(0);
  });
});
