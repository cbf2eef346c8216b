// Saves hash their data; over plain http on a LAN address (a classroom server)
// the browser has no crypto.subtle, and the hash must come out the same.

import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sha256Hex } from '../../workers/bytes';

describe('sha256Hex', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('gives the same digest with and without crypto.subtle', async () => {
    const data = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7919) & 0xff);
    const expected = createHash('sha256').update(data).digest('hex');
    expect(await sha256Hex(data)).toBe(expected);
    vi.stubGlobal('crypto', { getRandomValues: (a: Uint8Array) => a });
    expect(globalThis.crypto.subtle).toBeUndefined();
    expect(await sha256Hex(data)).toBe(expected);
  });
});
