// DiskPrefetch: the disk parts a learner's first commands read, fetched in the
// background in the order they are needed, a few at a time, giving up quietly offline.
import { describe, expect, it } from 'vitest';
import { DiskPrefetch } from '../../workers/disk-prefetch';
import type { DiskPrefetchProgress } from '../../workers/protocol';

/** A warm() whose parts answer when the test says so. */
function controlledWarm() {
  const started: number[] = [];
  const pending = new Map<number, { resolve(bytes: number): void; reject(err: Error): void }>();
  let running = 0;
  let mostAtOnce = 0;
  return {
    started,
    mostAtOnce: () => mostAtOnce,
    warm: (index: number) => {
      started.push(index);
      running++;
      mostAtOnce = Math.max(mostAtOnce, running);
      return new Promise<number>((resolve, reject) => pending.set(index, {
        resolve: (bytes) => { running--; resolve(bytes); },
        reject: (err) => { running--; reject(err); },
      }));
    },
    answer: async (index: number, bytes: number | Error) => {
      await until(() => pending.has(index));
      const part = pending.get(index)!;
      pending.delete(index);
      if (bytes instanceof Error) part.reject(bytes);
      else part.resolve(bytes);
    },
  };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 0));
  if (!condition()) throw new Error('condition never held');
}

describe('DiskPrefetch', () => {
  it('fetches the parts in the order the guest reads them, a few at a time, and counts only fetched bytes', async () => {
    const parts = controlledWarm();
    const reports: DiskPrefetchProgress[] = [];
    const prefetch = new DiskPrefetch({ parts: [40, 3, 17, 8], warm: parts.warm, concurrency: 2, reportEvery: 2, onProgress: (p) => reports.push(p) });
    const done = prefetch.run();
    await until(() => parts.started.length === 2);
    expect(parts.started).toEqual([40, 3]);
    await parts.answer(3, 1000);
    await until(() => parts.started.length === 3);
    expect(parts.started).toEqual([40, 3, 17]);
    await parts.answer(40, 0); // it was cached already
    await parts.answer(17, 500);
    await parts.answer(8, 250);
    expect(await done).toEqual({ parts: 4, done: 4, fetchedBytes: 1750, stoppedBy: null });
    expect(parts.mostAtOnce()).toBe(2);
    expect(reports.map((r) => r.done)).toEqual([0, 2, 4, 4]);
  });

  it('gives up on the rest at the first failure (offline) and says why, without rejecting', async () => {
    const parts = controlledWarm();
    const done = new DiskPrefetch({ parts: [1, 2, 3, 4, 5], warm: parts.warm, concurrency: 1 }).run();
    await parts.answer(1, 10);
    await parts.answer(2, new Error('Failed to fetch'));
    const result = await done;
    expect(parts.started).toEqual([1, 2]);
    expect(result).toMatchObject({ done: 2, fetchedBytes: 10, stoppedBy: 'part 2: Failed to fetch' });
  });

  it('starts nothing new once stopped (the machine went away)', async () => {
    const parts = controlledWarm();
    const prefetch = new DiskPrefetch({ parts: [1, 2, 3, 4], warm: parts.warm, concurrency: 1 });
    const done = prefetch.run();
    await until(() => parts.started.length === 1);
    prefetch.stop();
    await parts.answer(1, 10);
    expect(await done).toMatchObject({ done: 1, stoppedBy: 'stopped' });
    expect(parts.started).toEqual([1]);
  });

  it('fetches each part only once the guest is quiet', async () => {
    const parts = controlledWarm();
    let quiet: () => void = () => {};
    let waits = 0;
    const done = new DiskPrefetch({
      parts: [1, 2],
      warm: parts.warm,
      concurrency: 1,
      whenQuiet: () => new Promise<void>((resolve) => { waits++; quiet = resolve; }),
    }).run();
    await until(() => waits === 1);
    expect(parts.started).toEqual([]);
    quiet();
    await parts.answer(1, 10);
    await until(() => waits === 2);
    expect(parts.started).toEqual([1]);
    quiet();
    await parts.answer(2, 20);
    expect(await done).toMatchObject({ done: 2, fetchedBytes: 30 });
  });
});
