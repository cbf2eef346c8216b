import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { LineSplitter, base64Decode, base64Encode, decodeField, encodeField } from '../../workers/agent-wire';

describe('agent wire base64', () => {
  it('matches standard padded base64 for every length 0..40 and all 256 byte values', () => {
    const all = new Uint8Array(256).map((_, i) => i);
    const cases = [all, ...Array.from({ length: 41 }, (_, n) => new Uint8Array(randomBytes(n)))];
    for (const bytes of cases) {
      const text = base64Encode(bytes);
      expect(text).toBe(Buffer.from(bytes).toString('base64'));
      expect(base64Decode(text)).toEqual(bytes);
    }
  });

  it('round-trips inputs larger than one internal slice', () => {
    const big = new Uint8Array(randomBytes(100_003));
    expect(base64Encode(big)).toBe(Buffer.from(big).toString('base64'));
    expect(base64Decode(base64Encode(big))).toEqual(big);
  });

  it('rejects text that is not strict padded base64', () => {
    for (const bad of ['abc', 'ab=c', 'a===', '====', 'ab\ncd', 'ab-_', 'é123', 'AB==AAAA']) {
      expect(() => base64Decode(bad), bad).toThrow();
    }
  });

  it('writes empty values as "-" and strings as UTF-8', () => {
    expect(encodeField(undefined)).toBe('-');
    expect(encodeField('')).toBe('-');
    expect(encodeField(new Uint8Array(0))).toBe('-');
    expect(encodeField('é')).toBe('w6k=');
    expect(decodeField('-')).toEqual(new Uint8Array(0));
  });
});

describe('agent wire LineSplitter', () => {
  const bytes = (s: string) => new TextEncoder().encode(s);

  it('joins lines split across chunks and strips a trailing CR', () => {
    const s = new LineSplitter();
    expect(s.push(bytes('ok 1 -\nout 2 '))).toEqual(['ok 1 -']);
    expect(s.push(bytes('aGk='))).toEqual([]);
    expect(s.push(bytes('\r\n\nready 1\n'))).toEqual(['out 2 aGk=', '', 'ready 1']);
  });

  it('does not keep a reference to the caller’s buffer', () => {
    const s = new LineSplitter();
    const chunk = bytes('ok 1 ');
    s.push(chunk);
    chunk.fill(120);
    expect(s.push(bytes('-\n'))).toEqual(['ok 1 -']);
  });

  it('drops a line longer than any reply, up to its newline', () => {
    const s = new LineSplitter();
    const huge = new Uint8Array(1024 * 1024 + 10).fill(65);
    expect(s.push(huge)).toEqual([]);
    expect(s.push(bytes('AAAA\nok 5 -\n'))).toEqual(['ok 5 -']);
    expect(s.oversized).toBe(1);
  });

  it('reset forgets a partial line', () => {
    const s = new LineSplitter();
    s.push(bytes('half a li'));
    s.reset();
    expect(s.push(bytes('ne\n'))).toEqual(['ne']);
  });
});
