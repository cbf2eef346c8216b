import { describe, expect, it } from 'vitest';
import { Autosave, type AutosaveClock, type AutosaveOutcome } from '../../web/autosave';

/** A clock that moves only when the test says so. */
class FakeClock implements AutosaveClock {
  private t = 1_000_000;
  private timers: Array<{ at: number; callback: () => void; id: number }> = [];
  private nextId = 1;

  now(): number {
    return this.t;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.push({ at: this.t + ms, callback, id });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((timer) => timer.id !== handle);
  }

  get pending(): number {
    return this.timers.length;
  }

  /** Moves time forward, running due timers in order. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = next.at;
      next.callback();
      await settle();
    }
    this.t = end;
  }
}

/** Lets promise callbacks run. */
const settle = () => new Promise<void>((r) => setImmediate(r));

/** A save the test finishes by hand, counting how many run at once. */
class FakeSave {
  calls = 0;
  running = 0;
  maxRunning = 0;
  private finishers: Array<(o: AutosaveOutcome) => void> = [];

  readonly save = (): Promise<AutosaveOutcome> => {
    this.calls++;
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    return new Promise((resolve) =>
      this.finishers.push((o) => {
        this.running--;
        resolve(o);
      }),
    );
  };

  async finish(outcome: AutosaveOutcome = { ok: true }): Promise<void> {
    const f = this.finishers.shift();
    if (!f) throw new Error('no save is running');
    f(outcome);
    await settle();
  }
}

function setup(extra: { canSave?: () => boolean } = {}) {
  const clock = new FakeClock();
  const fake = new FakeSave();
  const results: AutosaveOutcome[] = [];
  const autosave = new Autosave({
    save: fake.save,
    clock,
    minIntervalMs: 30_000,
    onResult: (o) => results.push(o),
    ...extra,
  });
  return { clock, fake, results, autosave };
}

describe('Autosave', () => {
  it('saves at once the first time the page is hidden', async () => {
    const { fake, autosave, results } = setup();
    autosave.request();
    expect(fake.calls).toBe(1);
    await fake.finish();
    expect(results).toEqual([{ ok: true }]);
  });

  it('never runs two saves at once, however often the page is hidden', async () => {
    const { fake, autosave, clock } = setup();
    autosave.request();
    autosave.request();
    autosave.request();
    expect(fake.calls).toBe(1);
    await clock.advance(60_000);
    expect(fake.calls).toBe(1);
    await fake.finish();
    expect(fake.maxRunning).toBe(1);
  });

  it('saves at most once per interval, and the later request is not lost', async () => {
    const { fake, autosave, clock } = setup();
    autosave.request();
    await fake.finish();
    await clock.advance(10_000);
    autosave.request();
    expect(fake.calls).toBe(1);
    await clock.advance(19_999);
    expect(fake.calls).toBe(1);
    await clock.advance(1);
    expect(fake.calls).toBe(2);
    await fake.finish();
  });

  it('counts the interval from the end of a slow save', async () => {
    const { fake, autosave, clock } = setup();
    autosave.request();
    await clock.advance(20_000);
    autosave.request(); // hidden again while the first save still runs
    await fake.finish();
    expect(fake.calls).toBe(1);
    await clock.advance(29_999);
    expect(fake.calls).toBe(1);
    await clock.advance(1);
    expect(fake.calls).toBe(2);
    await fake.finish();
    expect(fake.maxRunning).toBe(1);
  });

  it('drops a waiting save when the learner comes back', async () => {
    const { fake, autosave, clock } = setup();
    autosave.request();
    await fake.finish();
    autosave.request();
    autosave.cancel();
    expect(clock.pending).toBe(0);
    await clock.advance(120_000);
    expect(fake.calls).toBe(1);
  });

  it('treats a save made with the Save button as a recent save', async () => {
    const { fake, autosave, clock } = setup();
    autosave.noteSaved();
    autosave.request();
    expect(fake.calls).toBe(0);
    await clock.advance(30_000);
    expect(fake.calls).toBe(1);
    await fake.finish();
  });

  it('does nothing when there is nothing to save', async () => {
    let running = false;
    const { fake, autosave, clock } = setup({ canSave: () => running });
    autosave.request();
    expect(fake.calls).toBe(0);
    // The request is not kept for later: the next hide asks again.
    running = true;
    await clock.advance(60_000);
    expect(fake.calls).toBe(0);
    autosave.request();
    expect(fake.calls).toBe(1);
    await fake.finish();
  });

  it('reports a failed save and waits out the interval before trying again', async () => {
    const { fake, autosave, clock, results } = setup();
    autosave.request();
    await fake.finish({ ok: false, error: 'Not enough browser storage' });
    expect(results).toEqual([{ ok: false, error: 'Not enough browser storage' }]);
    autosave.request();
    expect(fake.calls).toBe(1);
    await clock.advance(30_000);
    expect(fake.calls).toBe(2);
    await fake.finish();
    expect(results.at(-1)).toEqual({ ok: true });
  });

  it('turns a thrown error into a failed outcome and keeps working', async () => {
    const clock = new FakeClock();
    const results: AutosaveOutcome[] = [];
    let calls = 0;
    const autosave = new Autosave({
      clock,
      minIntervalMs: 30_000,
      save: () => (++calls === 1 ? Promise.reject(new Error('worker gone')) : Promise.resolve({ ok: true })),
      onResult: (o) => results.push(o),
    });
    autosave.request();
    await settle();
    expect(results).toEqual([{ ok: false, error: 'worker gone' }]);
    await clock.advance(30_000);
    autosave.request();
    await settle();
    expect(calls).toBe(2);
    expect(results.at(-1)).toEqual({ ok: true });
  });
});
