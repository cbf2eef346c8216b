import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Heartbeat } from '../../workers/heartbeat';

describe('Heartbeat', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function setup(answers: boolean[]) {
    const events: string[] = [];
    let beat = 0;
    const hb = new Heartbeat({
      ping: async () => {
        const ok = answers[beat++] ?? true;
        if (!ok) throw new Error('timeout');
        return 1;
      },
      onAlive: () => events.push('alive'),
      onUnresponsive: () => events.push('unresponsive'),
    });
    return { hb, events };
  }

  it('pings every 5 s and reports the guest alive', async () => {
    const { hb, events } = setup([true, true]);
    hb.start();
    await vi.advanceTimersByTimeAsync(4999);
    expect(events).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await vi.advanceTimersByTimeAsync(5000);
    expect(events).toEqual(['alive', 'alive']);
    hb.stop();
  });

  it('needs three misses in a row before calling the guest unresponsive, and says so once', async () => {
    const { hb, events } = setup([false, false, true, false, false, false, false, true]);
    hb.start();
    await vi.advanceTimersByTimeAsync(8 * 5000);
    expect(events).toEqual(['alive', 'unresponsive', 'alive']);
    hb.stop();
  });

  it('stops beating when stopped', async () => {
    const { hb, events } = setup([]);
    hb.start();
    hb.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(events).toEqual([]);
  });
});
