import { describe, expect, it } from 'vitest';
import { BUSY_TURN_MS, QUIET_AFTER_MS, paceEmulator } from '../../workers/emulator-pacing';

/** A stand-in for v86's internal loop object: main_loop answers from a script, each call taking 1 ms. */
function fakeCore(answers: number[]) {
  let clock = 0;
  const log: string[] = [];
  const core = {
    running: true,
    stopping: false,
    idle: true,
    tick_counter: 0,
    cpu: {
      main_loop() {
        clock += 1;
        const t = answers.shift() ?? 5;
        log.push(`slice ${t}`);
        return t;
      },
    },
    do_tick() {
      log.push('own do_tick');
    },
    next_tick(t: number) {
      this.idle = true;
      this.yield(t, ++this.tick_counter);
    },
    yield(t: number, tick: number) {
      log.push(`own yield ${t} #${tick}`);
    },
    yield_callback(tick: number) {
      log.push(`callback #${tick}`);
    },
  };
  return { core, log, now: () => clock };
}

// A MessageChannel's message and a 0 ms timer may come in either order under Node: a few ms leave no doubt.
const nextTurn = () => new Promise((resolve) => setTimeout(resolve, 10));

describe('paceEmulator', () => {
  it('runs busy slices back to back for one turn, then yields within the worker', async () => {
    const { core, log, now } = fakeCore(Array(20).fill(0));
    expect(paceEmulator({ v86: core }, now)).toBe(true);
    core.do_tick();
    expect(log.filter((l) => l === 'slice 0')).toHaveLength(BUSY_TURN_MS);
    expect(log.some((l) => l.startsWith('own yield'))).toBe(false);
    await nextTurn();
    expect(log.at(-1)).toBe('callback #1');
  });

  it('hands an idle guest (halted, timer due in 3 ms) to v86 own sleep', () => {
    const { core, log, now } = fakeCore([0, 3]);
    paceEmulator({ v86: core }, now);
    core.do_tick();
    expect(log).toEqual(['slice 0', 'slice 3', 'own yield 3 #1']);
    expect(core.idle).toBe(true);
  });

  it('waits for a timer due in under a millisecond by yielding at once while the guest works', async () => {
    const { core, log, now } = fakeCore([0, 0.3]);
    paceEmulator({ v86: core }, now);
    core.do_tick(); // a busy slice, then halted with a timer due in 0.3 ms
    expect(log.some((l) => l.startsWith('own yield'))).toBe(false);
    await nextTurn();
    expect(log.at(-1)).toBe('callback #1');
  });

  it("rounds a quiet guest's sub-millisecond timer up to a 1 ms sleep, and goes back to yielding at once when it works again", async () => {
    const { core, log, now } = fakeCore([0, 0.5, ...Array<number>(QUIET_AFTER_MS).fill(0.5), 0, 0.5]);
    paceEmulator({ v86: core }, now);
    core.do_tick(); // busy, then halted with a timer due in 0.5 ms
    for (let i = 0; i < QUIET_AFTER_MS - 1; i++) core.do_tick(); // halted: 1 ms each
    expect(log.filter((l) => l.startsWith('own yield'))).toEqual([]);
    core.do_tick(); // QUIET_AFTER_MS after the last busy slice
    expect(log.at(-1)).toBe(`own yield 1 #${QUIET_AFTER_MS + 1}`);
    core.do_tick(); // busy again, then a timer due in 0.5 ms
    expect(log.at(-1)).toBe('slice 0.5');
    await nextTurn();
    expect(log.at(-1)).toBe(`callback #${QUIET_AFTER_MS + 2}`);
  });

  it('wakes a quiet guest at once when a device interrupts it (v86 asks for a tick of 0)', async () => {
    const { core, log, now } = fakeCore(Array<number>(QUIET_AFTER_MS + 5).fill(0.5));
    paceEmulator({ v86: core }, now);
    for (let i = 0; i < QUIET_AFTER_MS + 2; i++) core.do_tick();
    expect(log.at(-1)).toMatch(/^own yield 1 #/);
    core.next_tick(0);
    await nextTurn();
    expect(log.at(-1)).toBe(`callback #${QUIET_AFTER_MS + 3}`);
  });

  it('tells the guest activity about turns that ran busy slices, not about a guest that halted at once', () => {
    const { core, now } = fakeCore([5, 0, 0, 4]);
    const busyTurns: number[] = [];
    paceEmulator({ v86: core }, now, { busy: () => busyTurns.push(now()), quietFor: () => 0 });
    core.do_tick(); // halted: timer due in 5 ms
    expect(busyTurns).toEqual([]);
    core.do_tick(); // two busy slices, then halted
    expect(busyTurns).toEqual([4]);
  });

  it('leaves stopping to v86', () => {
    const { core, log, now } = fakeCore([0]);
    paceEmulator({ v86: core }, now);
    core.stopping = true;
    core.do_tick();
    expect(log).toEqual(['own do_tick']);
  });

  it('stops a busy turn as soon as a stop is requested', () => {
    const { core, log, now } = fakeCore(Array(20).fill(0));
    const mainLoop = core.cpu.main_loop.bind(core.cpu);
    core.cpu.main_loop = () => {
      if (log.length === 2) core.stopping = true;
      return mainLoop();
    };
    paceEmulator({ v86: core }, now);
    core.do_tick();
    expect(log.filter((l) => l === 'slice 0')).toHaveLength(3);
  });

  it('changes nothing when v86 is not the shape it knows', () => {
    const { core } = fakeCore([]);
    const original = core.do_tick;
    expect(paceEmulator({ v86: { ...core, cpu: {} } })).toBe(false);
    expect(paceEmulator({})).toBe(false);
    expect(core.do_tick).toBe(original);
  });
});
