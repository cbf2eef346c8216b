import { describe, expect, it } from 'vitest';
import { restoreMemorySparsely } from '../../workers/sparse-restore';

const PAGE = 4096;

/** A CPU with v86's memory functions over a plain array, its unpack_memory as v86 writes it, and a log of zeroed ranges. */
function fakeCpu(pages: number) {
  const mem8 = new Uint8Array(pages * PAGE);
  const zeroed: Array<[number, number]> = [];
  const cpu = {
    memory_size: new Uint32Array([mem8.length]),
    zero_memory(offset: number, length: number) {
      zeroed.push([offset / PAGE, length / PAGE]);
      mem8.fill(0, offset, offset + length);
    },
    is_memory_zeroed(offset: number, length: number) {
      return mem8.subarray(offset, offset + length).every((b) => b === 0);
    },
    unpack_memory(bitmap: { get(page: number): boolean }, packed: Uint8Array) {
      this.zero_memory(0, this.memory_size[0]!);
      let next = 0;
      for (let page = 0; page < pages; page++) {
        if (bitmap.get(page)) mem8.set(packed.subarray(next * PAGE, ++next * PAGE), page * PAGE);
      }
    },
  };
  return { cpu, mem8, zeroed };
}

describe('restoreMemorySparsely', () => {
  it('restores the same memory as v86 while writing zeroes only where something must be cleared', () => {
    const { cpu, mem8, zeroed } = fakeCpu(16);
    // Left over before the restore: a page the state overwrites (2) and two it does not hold (5, 9).
    for (const page of [2, 5, 9]) mem8.fill(7, page * PAGE, page * PAGE + 100);
    const statePages = new Set([1, 2, 3, 12]);
    const packed = new Uint8Array(statePages.size * PAGE).map((_, i) => 1 + (i % 200));

    // As v86 does: the emulator object exists first, its core (with the CPU) once the wasm has loaded.
    const emulator: { v86?: { cpu: typeof cpu } } = {};
    restoreMemorySparsely(emulator);
    emulator.v86 = { cpu };
    expect(emulator.v86.cpu).toBe(cpu);
    cpu.unpack_memory({ get: (page) => statePages.has(page) }, packed);

    const expected = new Uint8Array(16 * PAGE);
    [...statePages].forEach((page, i) => expected.set(packed.subarray(i * PAGE, (i + 1) * PAGE), page * PAGE));
    expect(mem8).toEqual(expected);
    expect(zeroed).toEqual([[5, 1], [9, 1]]);
  });

  it('puts back v86 zero_memory for everything after the restore', () => {
    const { cpu, zeroed } = fakeCpu(4);
    const original = cpu.zero_memory;
    const v86Unpack = cpu.unpack_memory;
    restoreMemorySparsely({ v86: { cpu } });
    expect(cpu.unpack_memory).not.toBe(v86Unpack);
    cpu.unpack_memory({ get: () => false }, new Uint8Array(0));
    expect(cpu.zero_memory).toBe(original);
    cpu.zero_memory(0, 4 * PAGE);
    expect(zeroed).toEqual([[0, 4]]);
  });

  it('leaves an emulator of another shape alone', () => {
    const zero_memory = () => undefined;
    const unpack_memory = () => undefined;
    const emulator: { v86?: { cpu: object } } = {};
    restoreMemorySparsely(emulator);
    emulator.v86 = { cpu: { zero_memory, unpack_memory } };
    expect(emulator.v86.cpu).toEqual({ zero_memory, unpack_memory });
  });
});
