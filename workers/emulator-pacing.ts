// v86 runs the guest in 1 ms slices and, in a browser, yields after every slice
// through a round trip to a helper Worker it spawns (postMessage there and back).
// That suits a page that must paint; our emulator already lives in its own
// worker, where each round trip is pure overhead. Measured in Chromium: a busy
// guest ran 1.7x slower than the same guest under Node, whose v86 yields with
// setImmediate. Here a busy guest runs several slices per turn of the event loop
// and yields through a MessageChannel within this worker; an idle guest (HLT,
// waiting for a timer) still sleeps through v86's own helper.
//
// A timer due in under a millisecond is waited for by yielding at once, over and
// over, until it is due (v86's helper does the same): precise, which Docker's Go
// programs need while they work (their scheduler sleeps for microseconds), but a
// learner's quiet guest always has such a timer coming (the kernel's tick every
// 4 ms), so an idle tab yielded 40 000 times a second (Chromium, 2026-12-07): a
// quarter of a core, and a message event each, which the tab holds until V8
// collects them (+160 MB in half a minute). A guest quiet for QUIET_AFTER_MS
// waits at least 1 ms for a timer instead; a keystroke, an agent request or a
// disk part still wakes it at once (v86 ends any wait when a device raises an interrupt).

import { GuestActivity } from './guest-activity';

/** The part of v86's internal `v86` object (emulator.v86) this module drives. */
interface V86Core {
  running: boolean;
  stopping: boolean;
  idle: boolean;
  cpu: { main_loop(): number };
  do_tick(): void;
  next_tick(t: number): void;
  yield(t: number, tick: number): void;
  yield_callback(tick: number): void;
}

/**
 * Guest time run per turn of the worker's event loop while the guest is busy.
 * Messages (keystrokes, agent requests, disk parts, finished JIT compiles) wait
 * at most this long.
 */
export const BUSY_TURN_MS = 8;

/** How long after its last busy slice the guest counts as quiet, its sub-millisecond timers rounded up to 1 ms. */
export const QUIET_AFTER_MS = 100;

function isV86Core(value: unknown): value is V86Core {
  const core = value as Partial<V86Core> | undefined;
  return typeof core?.do_tick === 'function' && typeof core.yield === 'function' && typeof core.next_tick === 'function'
    && typeof core.yield_callback === 'function' && typeof core.cpu?.main_loop === 'function';
}

/**
 * Replace v86's per-slice yield in this worker; `activity` hears of every turn that
 * ran busy slices, and tells when the guest has been quiet long enough to sleep. Returns false (and changes
 * nothing) when the emulator is not the shape this was written for, so a v86
 * upgrade falls back to its own pacing instead of breaking.
 */
export function paceEmulator(
  emulator: unknown,
  now: () => number = () => performance.now(),
  activity: Pick<GuestActivity, 'busy' | 'quietFor'> = new GuestActivity(now),
): boolean {
  const core = (emulator as { v86?: unknown } | undefined)?.v86;
  if (!isV86Core(core) || typeof MessageChannel === 'undefined') return false;

  const channel = new MessageChannel();
  channel.port1.onmessage = (event: MessageEvent<number>) => core.yield_callback(event.data);
  const idleYield = core.yield.bind(core);
  const stopOrTick = core.do_tick.bind(core);

  core.yield = (t, tick) => {
    if (t >= 1) idleYield(t, tick);
    else if (t === 0 || activity.quietFor() < QUIET_AFTER_MS) channel.port2.postMessage(tick);
    else idleYield(1, tick);
  };
  core.do_tick = () => {
    if (core.stopping || !core.running) return stopOrTick();
    core.idle = false;
    const until = now() + BUSY_TURN_MS;
    let t: number;
    let busy = false;
    // main_loop returns 0 after a full busy slice, or the time until the next
    // timer when the guest halted; only busy slices are run back to back.
    do {
      t = core.cpu.main_loop();
      busy ||= t === 0;
    } while (t === 0 && !core.stopping && now() < until);
    if (busy) activity.busy();
    core.next_tick(t);
  };
  return true;
}
