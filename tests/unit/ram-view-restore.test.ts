import { describe, expect, it } from 'vitest';
import { lendPackedMemory, restoreWithRamView, type RestorableEmulator } from '../../workers/ram-view-restore';

/** A state laid out as v86 0.5's save_state writes it: header, JSON index, 4-byte aligned buffers. */
function v86State(buffers: Uint8Array[], memoryId = 1, version = 6): ArrayBuffer {
  const infos: Array<{ offset: number; length: number }> = [];
  let size = 0;
  for (const b of buffers) {
    infos.push({ offset: size, length: b.length });
    size = (size + b.length + 3) & ~3;
  }
  const cpuState: unknown[] = Array.from({ length: 90 }, (_, i) => i);
  cpuState[77] = { __state_type__: 'Uint8Array', buffer_id: memoryId };
  cpuState[78] = { __state_type__: 'Uint8Array', buffer_id: 0 };
  const info = new TextEncoder().encode(JSON.stringify({ buffer_infos: infos, state: cpuState }));
  const blockStart = (16 + info.length + 3) & ~3;
  const out = new ArrayBuffer(blockStart + size);
  new Int32Array(out, 0, 4).set([0x86768676 | 0, version, out.byteLength, info.length]);
  new Uint8Array(out, 16).set(info);
  buffers.forEach((b, i) => new Uint8Array(out, blockStart + infos[i]!.offset).set(b));
  return out;
}

/** What v86's state.js reads for each buffer of an uncompressed state. */
function readAsV86(state: ArrayBuffer): Uint8Array[] {
  const infoLength = new Int32Array(state, 0, 4)[3]!;
  const info = JSON.parse(new TextDecoder().decode(new Uint8Array(state, 16, infoLength))) as { buffer_infos: Array<{ offset: number; length: number }> };
  const start = (16 + infoLength + 3) & ~3;
  return info.buffer_infos.map((b) => new Uint8Array(state.slice(start + b.offset, start + b.offset + b.length)));
}

const bitmap = new Uint8Array([0xff, 0x01, 0x02]);
const ram = new Uint8Array(3 * 4096).map((_, i) => (i * 7) & 0xff);
const device = new Uint8Array([9, 8, 7, 6, 5]);

describe('lendPackedMemory', () => {
  it('hands out the RAM as a view and shows v86 an empty RAM buffer, every other buffer where it was', () => {
    const state = v86State([bitmap, ram, device]);
    const view = lendPackedMemory(state);
    expect(view?.buffer).toBe(state);
    expect(Buffer.compare(view!, ram)).toBe(0);
    const [b0, b1, b2] = readAsV86(state);
    expect([...b0!]).toEqual([...bitmap]);
    expect(b1!.length).toBe(0);
    expect([...b2!]).toEqual([...device]);
    expect(new Int32Array(state, 0, 4)[2]).toBe(state.byteLength);
  });

  it('leaves a state of another layout untouched', () => {
    for (const state of [v86State([bitmap, ram], 1, 5), v86State([bitmap, ram], 7), new ArrayBuffer(8), new Uint8Array(64).fill(1).buffer]) {
      const before = new Uint8Array(state.slice(0));
      expect(lendPackedMemory(state)).toBeNull();
      expect(Buffer.compare(new Uint8Array(state), before)).toBe(0);
    }
  });
});

describe('restoreWithRamView', () => {
  it("gives v86's unpack_memory the RAM from the state, then puts the original back", async () => {
    const seen: Uint8Array[] = [];
    const unpack = (_bitmap: unknown, packed: Uint8Array) => void seen.push(packed);
    const cpu = { unpack_memory: unpack };
    const emulator: RestorableEmulator = {
      v86: { cpu },
      async restore_state(state: ArrayBuffer) {
        // As v86 does: slice the RAM buffer by the index, then unpack it.
        cpu.unpack_memory(null, readAsV86(state)[1]!);
      },
    };
    await restoreWithRamView(emulator, v86State([bitmap, ram, device]));
    expect(seen).toHaveLength(1);
    expect(Buffer.compare(seen[0]!, ram)).toBe(0);
    expect(cpu.unpack_memory).toBe(unpack);
  });
});

