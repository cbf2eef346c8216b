// Compression and hashing with web platform APIs (plus a JS SHA-256 where the
// platform's is missing), so the same code runs in the worker and in Node 20 (unit tests).

import { sha256 } from '@noble/hashes/sha2.js';

async function pipe(data: Uint8Array, transform: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(transform);
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export function gzip(data: Uint8Array): Promise<Uint8Array> {
  return pipe(data, new CompressionStream('gzip'));
}

export function gunzip(data: Uint8Array): Promise<Uint8Array> {
  return pipe(data, new DecompressionStream('gzip'));
}

export function isGzip(data: Uint8Array): boolean {
  return data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b;
}

export async function sha256Hex(data: Uint8Array): Promise<string> {
  // crypto.subtle exists only in secure contexts, and a classroom server on a
  // LAN address over plain http is not one; saves must still work there.
  const digest = globalThis.crypto?.subtle
    ? new Uint8Array(await crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>))
    : sha256(data);
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function megabytes(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0);
}

/**
 * Frees a buffer of ~100–300 MB (a v86 state) now rather than when the last
 * reference to it is collected: transfer(0) detaches it and drops its bytes;
 * where that is missing (Node 20), a clone takes them over and frees them when it is collected.
 */
export function releaseBuffer(buffer: ArrayBuffer): void {
  const transferable = buffer as ArrayBuffer & { transfer?: (newLength: number) => ArrayBuffer };
  if (transferable.transfer) transferable.transfer(0);
  else structuredClone(buffer, { transfer: [buffer] });
}
