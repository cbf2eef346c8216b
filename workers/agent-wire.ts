// Line framing and field encoding for the lab-agent wire protocol
// (guest-rootfs/agent/PROTOCOL.md). DOM-free and Node-free: runs in a Web
// Worker and under Node alike, so base64 is done here rather than with Buffer.

/** The agent discards request lines longer than this (excluding the newline). */
export const MAX_REQUEST_LINE = 256 * 1024;

/** Agent replies are at most ~5.5 KB; anything far longer is noise, not a reply. */
const MAX_REPLY_LINE = 1024 * 1024;

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

export function base64Encode(bytes: Uint8Array): string {
  const parts: string[] = [];
  // Built in slices so a large input never becomes one huge argument list.
  for (let start = 0; start < bytes.length; start += 3 * 4096) {
    const end = Math.min(bytes.length, start + 3 * 4096);
    let s = '';
    for (let i = start; i < end; i += 3) {
      const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
      s +=
        ALPHABET[n >> 18] +
        ALPHABET[(n >> 12) & 63] +
        (i + 1 < end ? ALPHABET[(n >> 6) & 63] : '=') +
        (i + 2 < end ? ALPHABET[n & 63] : '=');
    }
    parts.push(s);
  }
  return parts.join('');
}

/** Strict padded base64; throws on anything else so line noise is not mistaken for data. */
export function base64Decode(text: string): Uint8Array {
  if (text.length % 4 !== 0) throw new Error('base64 length is not a multiple of 4');
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const last = i + 4 === text.length;
    let n = 0;
    for (let j = 0; j < 4; j++) {
      const c = text.charCodeAt(i + j);
      const isPad = c === 61 && last && j >= 4 - pad;
      const v = isPad ? 0 : c < 128 ? DECODE[c] : -1;
      if (v < 0) throw new Error('invalid base64');
      n = (n << 6) | v;
    }
    out[o++] = n >> 16;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}

const encoder = new TextEncoder();

/** A protocol field: base64 of the bytes (strings as UTF-8), or `-` when empty. */
export function encodeField(value: Uint8Array | string | undefined): string {
  if (value === undefined) return '-';
  const bytes = typeof value === 'string' ? encoder.encode(value) : value;
  return bytes.length === 0 ? '-' : base64Encode(bytes);
}

export function decodeField(field: string): Uint8Array {
  return field === '-' ? new Uint8Array(0) : base64Decode(field);
}

/**
 * Splits a byte stream into `\n`-terminated lines (the `\n` and a trailing `\r`
 * removed). Replies are ASCII, so each line is decoded as UTF-8 only to get a string.
 */
export class LineSplitter {
  private parts: Uint8Array[] = [];
  private partLength = 0;
  private discarding = false;
  private readonly decoder = new TextDecoder();

  /** Lines dropped for being longer than any reply could be. */
  oversized = 0;

  push(bytes: Uint8Array): string[] {
    const lines: string[] = [];
    let start = 0;
    while (start <= bytes.length) {
      const nl = bytes.indexOf(10, start);
      const end = nl < 0 ? bytes.length : nl;
      if (!this.discarding && end > start) {
        // Copied because callers (v86, Node streams) may reuse their buffers.
        this.parts.push(bytes.slice(start, end));
        this.partLength += end - start;
        if (this.partLength > MAX_REPLY_LINE) this.dropPartial(true);
      }
      if (nl < 0) break;
      if (!this.discarding) lines.push(this.takeLine());
      this.dropPartial(false);
      start = nl + 1;
    }
    return lines;
  }

  reset(): void {
    this.dropPartial(false);
  }

  private takeLine(): string {
    const line = new Uint8Array(this.partLength);
    let o = 0;
    for (const p of this.parts) {
      line.set(p, o);
      o += p.length;
    }
    const text = this.decoder.decode(line);
    return text.endsWith('\r') ? text.slice(0, -1) : text;
  }

  private dropPartial(discardRest: boolean): void {
    if (discardRest && !this.discarding) this.oversized++;
    this.parts = [];
    this.partLength = 0;
    this.discarding = discardRest;
  }
}
