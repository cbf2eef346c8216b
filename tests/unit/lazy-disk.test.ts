import { describe, expect, it, vi } from 'vitest';
import { LazyDisk, type WrittenRun } from '../../workers/lazy-disk';

const CHUNK = 16384;
const PARTS = 8;

/** Part i is filled with byte i+1, so every read shows which part it came from. */
function diskWith(options: { cacheParts?: number; fail?: (index: number) => boolean; onTrouble?: (m: string | null) => void } = {}) {
  const fetched: number[] = [];
  const disk = new LazyDisk({
    size: CHUNK * PARTS,
    chunkSize: CHUNK,
    cacheParts: options.cacheParts ?? 4,
    onTrouble: options.onTrouble,
    loadPart: async (index) => {
      fetched.push(index);
      if (options.fail?.(index)) throw new Error('offline');
      return new Uint8Array(CHUNK).fill(index + 1);
    },
  });
  return { disk, fetched };
}

const read = (disk: LazyDisk, offset: number, length: number) => new Promise<Uint8Array>((resolve) => disk.get(offset, length, resolve));
const write = (disk: LazyDisk, offset: number, data: Uint8Array) => new Promise<void>((resolve) => disk.set(offset, data, resolve));

describe('LazyDisk', () => {
  it('fetches a part only when a read needs it, and a read across two parts gets both', async () => {
    const { disk, fetched } = diskWith();
    expect(fetched).toEqual([]);
    const bytes = await read(disk, CHUNK - 512, 1024);
    expect([...bytes.subarray(0, 512)].every((b) => b === 1)).toBe(true);
    expect([...bytes.subarray(512)].every((b) => b === 2)).toBe(true);
    expect(fetched.sort()).toEqual([0, 1]);
  });

  it('asks once for a part that several reads wait for', async () => {
    const { disk, fetched } = diskWith();
    await Promise.all([read(disk, 0, 512), read(disk, 4096, 512), read(disk, 8192, 256)]);
    expect(fetched).toEqual([0]);
  });

  it('keeps only the most recently used parts it read', async () => {
    const { disk, fetched } = diskWith({ cacheParts: 2 });
    for (const part of [0, 1, 2]) await read(disk, part * CHUNK, 512);
    expect(disk.stats().cachedBytes).toBe(2 * CHUNK);
    await read(disk, 2 * CHUNK, 512); // still cached
    await read(disk, 0, 512); // evicted, fetched again
    expect(fetched).toEqual([0, 1, 2, 0]);
  });

  it('overlays written blocks on the part beneath, even a part read before the write', async () => {
    const { disk } = diskWith();
    await read(disk, 0, 4096);
    await write(disk, 256, new Uint8Array(512).fill(0xaa));
    const bytes = await read(disk, 0, 1024);
    expect(bytes[0]).toBe(1);
    expect(bytes[256]).toBe(0xaa);
    expect(bytes[767]).toBe(0xaa);
    expect(bytes[768]).toBe(1);
  });

  it('serves a fully written page without fetching its part, and keeps written bytes when the part is evicted', async () => {
    const { disk, fetched } = diskWith({ cacheParts: 1 });
    await write(disk, 3 * CHUNK, new Uint8Array(4096).fill(7));
    expect([...(await read(disk, 3 * CHUNK, 4096))].every((b) => b === 7)).toBe(true);
    expect(fetched).toEqual([]);
    await write(disk, 4 * CHUNK + 512, new Uint8Array(256).fill(9));
    await read(disk, 0, 512); // pushes any cached part out
    const bytes = await read(disk, 4 * CHUNK, 1024);
    expect(bytes[0]).toBe(5);
    expect(bytes[512]).toBe(9);
    expect(bytes[768]).toBe(5);
  });

  it('takes a write spanning several pages, unaligned at both ends, block for block', async () => {
    const { disk } = diskWith();
    const data = new Uint8Array(2 * 4096 + 512).map((_, i) => (i >> 8) + 16);
    await write(disk, 256, data);
    expect(disk.stats().writtenBytes).toBe(data.length);
    const bytes = await read(disk, 0, 3 * 4096);
    expect(bytes[0]).toBe(1);
    expect(Buffer.compare(bytes.subarray(256, 256 + data.length), data)).toBe(0);
    expect(bytes[256 + data.length]).toBe(1);
    expect(disk.get_state()[0].map(([block, b]) => [block, b.length])).toEqual([[1, data.length]]);
  });

  it('says when no read is waiting for a part any more, or gives up waiting after its timeout', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const disk = new LazyDisk({ size: CHUNK * PARTS, chunkSize: CHUNK, cacheParts: 4, loadPart: async (index) => (await gate, new Uint8Array(CHUNK).fill(index + 1)) });
    await disk.settled(1000); // nothing in flight: at once
    let answered = false;
    disk.get(0, 512, () => (answered = true));
    let settled = false;
    const waiting = disk.settled(60_000).then(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(settled).toBe(false);
    release();
    await waiting;
    expect(answered).toBe(true);

    const stuck = new LazyDisk({ size: CHUNK * PARTS, chunkSize: CHUNK, cacheParts: 4, loadPart: () => new Promise<Uint8Array>(() => {}) });
    stuck.get(0, 512, () => undefined);
    const t0 = Date.now();
    await stuck.settled(50);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(45);
  });

  it('holds back answers to reads in flight while held (a save reads the guest RAM they would write) and gives them on release', async () => {
    const { disk } = diskWith();
    disk.hold();
    const answered: number[] = [];
    disk.get(0, 512, (bytes) => answered.push(bytes[0]!));
    disk.get(3 * CHUNK, 512, (bytes) => answered.push(bytes[0]!));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(answered).toEqual([]);
    disk.release();
    expect(answered).toEqual([1, 4]);
    // Not held any more: answers come as their parts do.
    expect((await read(disk, 5 * CHUNK, 256))[0]).toBe(6);
  });

  it('answers synchronously from memory and says undefined when a part is missing', async () => {
    const { disk } = diskWith();
    expect(disk.get_from_cache(0, 512)).toBeUndefined();
    await read(disk, 0, 512);
    expect(disk.get_from_cache(0, 512)?.[0]).toBe(1);
  });

  it('saves written bytes as contiguous runs and restores them, also from v86’s one-block-per-entry format', async () => {
    const { disk } = diskWith();
    await write(disk, 4096 - 512, new Uint8Array(1024).fill(3)); // spans two pages: one run
    await write(disk, 5 * CHUNK, new Uint8Array(256).fill(4));
    const [runs] = disk.get_state();
    expect(runs.map(([block, bytes]) => [block, bytes.length])).toEqual([
      [(4096 - 512) / 256, 1024],
      [(5 * CHUNK) / 256, 256],
    ]);

    const { disk: restored } = diskWith();
    restored.set_state([runs]);
    expect((await read(restored, 4096 - 512, 1024)).every((b) => b === 3)).toBe(true);
    expect(restored.stats().writtenBytes).toBe(1280);

    const v86Format: WrittenRun[] = [[10, new Uint8Array(256).fill(8)], [11, new Uint8Array(256).fill(8)]];
    const { disk: fromV86 } = diskWith();
    fromV86.set_state([v86Format]);
    expect(fromV86.get_state()[0].map(([block, bytes]) => [block, bytes.length])).toEqual([[10, 512]]);
  });

  it('retries a part that fails, says why, and clears the message once it came', async () => {
    vi.useFakeTimers();
    try {
      let failures = 2;
      const messages: Array<string | null> = [];
      const { disk } = diskWith({ fail: () => failures-- > 0, onTrouble: (m) => messages.push(m) });
      const pending = read(disk, 0, 512);
      await vi.advanceTimersByTimeAsync(5000);
      expect((await pending)[0]).toBe(1);
      expect(messages).toEqual([
        "Part 0 of the lab's disk could not be loaded (offline); retrying in 0.5 s.",
        "Part 0 of the lab's disk could not be loaded (offline); retrying in 1 s.",
        null,
      ]);
    } finally {
      vi.useRealTimers();
    }
  });
});
