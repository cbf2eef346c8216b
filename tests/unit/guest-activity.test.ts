// GuestActivity: how long the guest has run no busy slice, and waiting for a quiet guest.
import { describe, expect, it, vi } from 'vitest';
import { GuestActivity } from '../../workers/guest-activity';

describe('GuestActivity', () => {
  it('counts a guest that never ran busy as quiet, and restarts the count at each busy turn', () => {
    let clock = 1000;
    const activity = new GuestActivity(() => clock);
    expect(activity.quietFor()).toBe(Number.POSITIVE_INFINITY);
    activity.busy();
    clock += 120;
    expect(activity.quietFor()).toBe(120);
  });

  it('waits until the guest has been quiet long enough', async () => {
    vi.useFakeTimers();
    try {
      const activity = new GuestActivity(() => Date.now());
      activity.busy();
      let resolved = false;
      void activity.whenQuiet(250, 100).then(() => (resolved = true));
      await vi.advanceTimersByTimeAsync(200);
      activity.busy(); // busy again: the wait starts over
      await vi.advanceTimersByTimeAsync(200);
      expect(resolved).toBe(false);
      await vi.advanceTimersByTimeAsync(100);
      expect(resolved).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});
