// When v86 restores a state it first zeroes all of the guest's RAM (512 MB
// here) and then copies in the pages the state holds. On a machine created for
// the restore nearly all of that RAM is still untouched, and zeroing it makes
// the browser commit every page of it: measured in Chromium, 264 ms of a 0.6 s
// restore, and memory the tab then holds whether the guest uses it or not.
// Here only what the state does not overwrite is checked, and only a page that
// is not zero already is written.

const PAGE = 4096;

/** The part of v86's CPU object (emulator.v86.cpu) this module drives. */
interface V86Memory {
  zero_memory(offset: number, length: number): void;
  is_memory_zeroed(offset: number, length: number): number | boolean;
  unpack_memory(bitmap: PageBitmap, packed: Uint8Array): void;
}

/** v86's Bitmap of the pages a state holds. */
interface PageBitmap {
  get(page: number): number | boolean;
}

function isV86Memory(value: unknown): value is V86Memory {
  const cpu = value as Partial<V86Memory> | undefined;
  return typeof cpu?.zero_memory === 'function' && typeof cpu.is_memory_zeroed === 'function' && typeof cpu.unpack_memory === 'function';
}

/**
 * Makes v86's memory restores zero only the pages that need it, for a state
 * given to v86 up front (`initial_state`, restored before v86 reports anything)
 * as for one restored later. To be called right after `new V86(...)`: v86
 * creates its CPU once its wasm has loaded, and the hook goes in as it does.
 * An emulator of another shape (a v86 upgrade) is left to restore as v86 does.
 */
export function restoreMemorySparsely(emulator: object): void {
  let core: unknown = (emulator as { v86?: unknown }).v86;
  if (core !== undefined) return void hookUnpack(core);
  Object.defineProperty(emulator, 'v86', {
    configurable: true,
    enumerable: true,
    get: () => core,
    set: (value: unknown) => {
      core = value;
      hookUnpack(value);
    },
  });
}

function hookUnpack(core: unknown): boolean {
  const cpu = (core as { cpu?: unknown } | undefined)?.cpu;
  if (!isV86Memory(cpu)) return false;
  const unpack = cpu.unpack_memory.bind(cpu);
  const zero = cpu.zero_memory;
  cpu.unpack_memory = (bitmap, packed) => {
    // v86's unpack_memory zeroes everything, then writes the state's pages.
    cpu.zero_memory = (offset, length) => zeroPagesNotIn(cpu, zero, bitmap, offset, length);
    try {
      unpack(bitmap, packed);
    } finally {
      cpu.zero_memory = zero;
    }
  };
  return true;
}

/**
 * Zeroes the pages of [offset, offset + length) that the bitmap does not name
 * and that are not zero yet, checking a run of such pages at once (reading an
 * untouched page commits nothing).
 */
function zeroPagesNotIn(cpu: V86Memory, zero: V86Memory['zero_memory'], bitmap: PageBitmap, offset: number, length: number): void {
  const end = Math.ceil((offset + length) / PAGE);
  let page = Math.floor(offset / PAGE);
  while (page < end) {
    if (bitmap.get(page)) {
      page++;
      continue;
    }
    const runStart = page;
    while (page < end && !bitmap.get(page)) page++;
    if (cpu.is_memory_zeroed(runStart * PAGE, (page - runStart) * PAGE)) continue;
    for (let p = runStart; p < page; p++) if (!cpu.is_memory_zeroed(p * PAGE, PAGE)) zero.call(cpu, p * PAGE, PAGE);
  }
}
