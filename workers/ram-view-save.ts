// A save without v86's two copies of the guest's RAM. v86's save_state packs
// every non-zero page of the 512 MB RAM into one new buffer (pack_memory), then
// copies that and everything else into a second one: after a build, two
// allocations of ~350 MB each, made and filled while the guest waits, which the
// tab holds until V8 collects them (and the browser's memory accounting sees).
// Here v86 saves everything but the RAM (its pack_memory is handed an empty
// page list) and the state is read in frames: the RAM's pages are copied from
// the guest's memory as each frame is asked for. The bytes are the ones v86's
// own save_state would make (same layout, ram-view-restore.ts reads them in place).
// Only valid while the guest is stopped and nothing writes its memory: the
// caller pauses the machine (which also holds back the disk's answers) until
// every frame has been read.

import type { StateSource } from './state-codec';
import { INFO_START, STATE_MAGIC, STATE_VERSION, readStateIndex } from './v86-state-index';

const PAGE = 4096;

/** The part of v86's CPU this module drives. */
interface SavingCpu {
  mem8: Uint8Array;
  is_memory_zeroed(addr: number, length: number): boolean;
  pack_memory(): { packed_memory: Uint8Array; bitmap: { get_buffer(): ArrayBuffer } };
}

export interface SavableEmulator {
  v86?: { cpu?: Partial<SavingCpu>; save_state?: () => ArrayBuffer };
}

/** A piece of the state: bytes held (`bytes`) or the guest's RAM pages (`pages`). */
type Segment = { start: number; length: number } & ({ bytes: Uint8Array } | { pages: Uint32Array });

/**
 * The emulator's state as a StateSource, or null if this v86 is not laid out as
 * v86 0.5 is (the caller then uses v86's own save_state). Synchronous, like v86's.
 */
export function takeStateInPlace(emulator: SavableEmulator): StateSource | null {
  const cpu = emulator.v86?.cpu;
  const save = emulator.v86?.save_state;
  if (!cpu?.mem8 || !cpu.is_memory_zeroed || !cpu.pack_memory || !save) return null;
  const pageCount = cpu.mem8.length / PAGE;
  const bitmap = new Uint8Array(Math.ceil(pageCount / 8));
  const used: number[] = [];
  for (let page = 0; page < pageCount; page++) {
    if (cpu.is_memory_zeroed.call(cpu, page * PAGE, PAGE)) continue;
    bitmap[page >> 3]! |= 1 << (page & 7);
    used.push(page);
  }
  const pages = Uint32Array.from(used);
  const pack = cpu.pack_memory;
  cpu.pack_memory = () => ({ packed_memory: new Uint8Array(0), bitmap: { get_buffer: () => bitmap.buffer } });
  let state: ArrayBuffer;
  try {
    state = save.call(emulator.v86);
  } finally {
    cpu.pack_memory = pack;
  }
  return layOut(state, pages, cpu as SavingCpu);
}

/** The state v86 made without the RAM, with the RAM's pages put back in its place. */
function layOut(state: ArrayBuffer, pages: Uint32Array, cpu: SavingCpu): StateSource | null {
  const index = readStateIndex(state);
  if (!index || index.memory.length !== 0) return null;
  const { info, memoryId, blockStart: oldStart } = index;

  // Offsets as v86's save_state assigns them: each buffer after the last, at a multiple of 4.
  let offset = 0;
  const buffers = info.buffer_infos.map((old, id) => {
    const length = id === memoryId ? pages.length * PAGE : old.length;
    const placed = { offset, length, old };
    offset = (offset + length + 3) & ~3;
    return placed;
  });
  const json = new TextEncoder().encode(JSON.stringify({ buffer_infos: buffers.map(({ offset, length }) => ({ offset, length })), state: info.state }));
  const blockStart = (INFO_START + json.length + 3) & ~3;
  const byteLength = blockStart + offset;

  const head = new Uint8Array(blockStart);
  new Int32Array(head.buffer, 0, 4).set([STATE_MAGIC, STATE_VERSION, byteLength, json.length]);
  head.set(json, INFO_START);
  const segments: Segment[] = [{ start: 0, length: blockStart, bytes: head }];
  for (const [id, { offset: at, length, old }] of buffers.entries()) {
    const start = blockStart + at;
    if (id === memoryId) segments.push({ start, length, pages });
    else segments.push({ start, length, bytes: new Uint8Array(state, oldStart + old.offset, length) });
  }

  return {
    byteLength,
    read(from, length) {
      const out = new Uint8Array(Math.max(0, Math.min(length, byteLength - from)));
      const end = from + out.length;
      for (const segment of segments) {
        const lo = Math.max(from, segment.start);
        const hi = Math.min(end, segment.start + segment.length);
        if (lo >= hi) continue;
        if ('bytes' in segment) out.set(segment.bytes.subarray(lo - segment.start, hi - segment.start), lo - from);
        else copyPages(cpu.mem8, segment.pages, lo - segment.start, hi - segment.start, out.subarray(lo - from));
      }
      return out;
    },
  };
}

/** Bytes [lo, hi) of the packed RAM (the listed pages one after another) into `out`. */
function copyPages(mem8: Uint8Array, pages: Uint32Array, lo: number, hi: number, out: Uint8Array): void {
  let at = lo;
  while (at < hi) {
    const page = pages[Math.floor(at / PAGE)]!;
    const within = at % PAGE;
    const n = Math.min(PAGE - within, hi - at);
    const src = page * PAGE + within;
    out.set(mem8.subarray(src, src + n), at - lo);
    at += n;
  }
}
