import { describe, expect, it } from 'vitest';
import { savedAgo } from '../../web/saved-ago';

const at = '2026-11-23T10:00:00.000Z';
const t = Date.parse(at);

describe('savedAgo', () => {
  it.each([
    [0, 'Saved just now'],
    [59_999, 'Saved just now'],
    [60_000, 'Saved 1 min ago'],
    [2 * 60_000 + 30_000, 'Saved 2 min ago'],
    [59 * 60_000, 'Saved 59 min ago'],
    [3 * 3_600_000, 'Saved 3 h ago'],
    [-5_000, 'Saved just now'],
  ])('%i ms after the save says "%s"', (ms, text) => {
    expect(savedAgo(at, t + ms)).toBe(text);
  });

  it('names the day for saves older than a day', () => {
    expect(savedAgo(at, t + 2 * 86_400_000)).toBe(`Saved on ${new Date(t).toLocaleDateString()}`);
  });

  it('does not make up a time for an unreadable date', () => {
    expect(savedAgo('not a date', t)).toBe('Saved');
  });
});
