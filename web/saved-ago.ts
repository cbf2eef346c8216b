// How long ago the last save happened, in the status bar's words.

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export function savedAgo(savedAt: string, nowMs: number): string {
  const at = Date.parse(savedAt);
  if (Number.isNaN(at)) return 'Saved';
  // A clock moved backwards (or another machine's export) still reads sensibly.
  const ago = Math.max(0, nowMs - at);
  if (ago < MINUTE) return 'Saved just now';
  if (ago < HOUR) return `Saved ${Math.floor(ago / MINUTE)} min ago`;
  if (ago < 24 * HOUR) return `Saved ${Math.floor(ago / HOUR)} h ago`;
  return `Saved on ${new Date(at).toLocaleDateString()}`;
}
