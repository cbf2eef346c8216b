// v86 restores an uncompressed state by first slicing every buffer out of it
// (its state.js), the guest's packed RAM (100–330 MB) among them, and then
// copying that RAM into the guest's memory page by page: the slice is a second
// copy of the RAM, made on the resume's critical path and alive until V8
// collects it. Here v86 is shown the same state with an empty RAM buffer (its
// JSON index rewritten in place, padded with spaces so that no offset moves),
// and its unpack_memory gets a view of the RAM inside the state instead.
// A state not laid out as v86 0.5's (state format 6) is restored as v86 does it.
// (ram-view-save.ts spares the save side its two copies in the same way.)

import { INFO_START, readStateIndex } from './v86-state-index';

const SPACE = 0x20;

/** The part of v86's emulator this module drives. */
export interface RestorableEmulator {
  v86?: { cpu?: { unpack_memory?: (bitmap: unknown, packed: Uint8Array) => void } };
  restore_state(state: ArrayBuffer): Promise<void>;
}

/**
 * Takes the packed RAM out of what v86 will read: rewrites the state's JSON
 * index so that the RAM buffer is empty, and returns a view of the RAM bytes.
 * Returns null, with the state untouched, if it is not laid out as expected.
 */
export function lendPackedMemory(state: ArrayBuffer): Uint8Array | null {
  const index = readStateIndex(state);
  if (!index || index.memory.length === 0) return null;
  const { info, memory, memoryId, blockStart, infoLength } = index;
  const view = new Uint8Array(state, blockStart + memory.offset, memory.length);
  const rewritten = new TextEncoder().encode(JSON.stringify({ ...info, buffer_infos: info.buffer_infos.map((b, id) => (id === memoryId ? { ...b, length: 0 } : b)) }));
  if (rewritten.length > infoLength) return null;
  const infoBytes = new Uint8Array(state, INFO_START, infoLength);
  infoBytes.set(rewritten);
  infoBytes.fill(SPACE, rewritten.length);
  return view;
}

/**
 * Restores `state` into the emulator without v86's copy of the guest's RAM. The
 * state's bytes must stay as they are until this resolves (its RAM is read in place).
 */
export async function restoreWithRamView(emulator: RestorableEmulator, state: ArrayBuffer): Promise<void> {
  const cpu = emulator.v86?.cpu;
  const unpack = cpu?.unpack_memory;
  const ram = unpack ? lendPackedMemory(state) : null;
  if (!cpu || !unpack || !ram) return emulator.restore_state(state);
  cpu.unpack_memory = (bitmap, packed) => unpack.call(cpu, bitmap, packed.length === 0 ? ram : packed);
  try {
    await emulator.restore_state(state);
  } finally {
    cpu.unpack_memory = unpack;
  }
}
