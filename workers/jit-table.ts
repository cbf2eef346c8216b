// v86 compiles hot guest code into wasm modules and keeps them in a table of
// 900 slots; when the table is full it throws every module away and the guest
// runs interpreted until the code is hot again. The lab's working set (dockerd,
// containerd, the CLI, crun, the kernel, and Python in a build) needs more than
// 900: measured under Node, a warm `docker run` loop had filled 884 slots after
// 45 runs, and every lesson that builds an image went past that. So the lab
// gives the JIT a bigger table: the slot count is a constant in v86.wasm (the
// free list of slot numbers that `rust_init` fills), patched here in the bytes
// before they are compiled, and the JS table those slots index is grown to match.

/** v86's own slot count (`WASM_TABLE_SIZE` in v86's jit.rs and const.js). */
export const V86_JIT_SLOTS = 900;

/**
 * The slot count the lab uses. The patched free list must keep every constant
 * the same length in bytes as v86's (see enlargeJitTable), which allows 32k + 4
 * slots up to 2020.
 */
export const LAB_JIT_SLOTS = 2020;

/** Where v86's table of compiled modules starts (`WASM_TABLE_OFFSET`). */
const TABLE_OFFSET = 1024;

/** The patched bytes must lie this close together: they are one function's. */
const WINDOW_BYTES = 1024;

/**
 * Returns a copy of v86.wasm whose JIT has `slots` table slots, or null when
 * the bytes are not the ones this was written for (another v86 release): the
 * lab then runs v86 unchanged. The free list is built by a vectorised loop that
 * writes slot numbers 1..32k, followed by three single stores; each constant is
 * found by its instruction and operand, must occur exactly where expected, and
 * is replaced by one of the same encoded length, so no offset in the module moves.
 */
export function enlargeJitTable(wasm: Uint8Array, slots: number): Uint8Array<ArrayBuffer> | null {
  const free = slots - 1;
  const k = (free - 3) / 32;
  if (!Number.isInteger(k) || k < 1 || k > 63) throw new RangeError(`${slots} JIT slots cannot be patched in place`);
  const from = freeListCode(V86_JIT_SLOTS - 1);
  const to = freeListCode(free);
  const out = new Uint8Array(wasm);
  const places: number[] = [];
  for (const [i, [code, expected]] of from.entries()) {
    const [replacement] = to[i]!;
    if (code.length !== replacement.length) throw new RangeError(`${slots} JIT slots change an instruction's length`);
    const found = occurrences(wasm, code);
    if (found.length !== expected) return null;
    for (const at of found) {
      out.set(replacement, at);
      places.push(at);
    }
  }
  if (Math.max(...places) - Math.min(...places) > WINDOW_BYTES) return null;
  return out;
}

/**
 * The instructions of rust_init that build a free list of `free` slot numbers
 * (1..32k by the loop, then three single stores), each with how often it occurs.
 */
function freeListCode(free: number): Array<[number[], number]> {
  const loopBytes = ((free - 3) / 32) * 64;
  return [
    // malloc(free * 2) for the Vec<u16>, and the same size in its allocation-error path
    [[...i32Const(free * 2), 0x10], 2],
    // capacity and length of the free list
    [[...i32Const(free), 0x36, 2, ...uleb(288)], 1],
    [[...i32Const(free), 0x36, 2, ...uleb(296)], 1],
    // the loop's end: 32 slot numbers (64 bytes) per iteration
    [[...i32Const(loopBytes), 0x47], 1],
    // the last three slot numbers, stored after the loop
    [[...i32Const(free), 0x3b, 1, ...uleb(loopBytes + 4)], 1],
    [[...i32Const(((free - 1) << 16) | (free - 2)), 0x36, 1, ...uleb(loopBytes)], 1],
  ];
}

/** v86's `wasm_fn` option: given v86's imports, instantiate v86.wasm and return its exports. */
export type V86WasmLoader = (imports: { env: Record<string, unknown> }) => Promise<WebAssembly.Exports>;

/**
 * A `wasm_fn` for v86 that instantiates its wasm with `slots` JIT slots, or
 * unchanged when the bytes are not the release this patch knows. `onRead` gets
 * the original bytes, which v86 also needs for its zstd worker (its own loader
 * keeps them as `wasm_source`).
 */
export function jitTableWasmLoader(
  readWasm: () => Promise<Uint8Array>,
  onRead: (original: Uint8Array) => void,
  slots = LAB_JIT_SLOTS,
): V86WasmLoader {
  return async (imports) => {
    const original = await readWasm();
    onRead(original);
    const table = imports.env.__indirect_function_table;
    const patched = table instanceof WebAssembly.Table ? enlargeJitTable(original, slots) : null;
    if (patched && table instanceof WebAssembly.Table) {
      growJitTable(table, slots);
      imports.env.jit_clear_all_funcs = () => clearJitTable(table, slots);
    }
    const module = await WebAssembly.compile(patched ?? new Uint8Array(original));
    return (await WebAssembly.instantiate(module, imports as WebAssembly.Imports)).exports;
  };
}

/** Grows v86's table of compiled modules (passed to v86.wasm as an import) to `slots`. */
function growJitTable(table: WebAssembly.Table, slots: number): void {
  const wanted = TABLE_OFFSET + slots;
  if (table.length < wanted) table.grow(wanted - table.length);
}

/**
 * v86 empties its table when the JIT's cache is cleared, but only its own 900
 * slots; the rest must be emptied too, or their modules stay alive.
 */
function clearJitTable(table: WebAssembly.Table, slots: number): void {
  for (let i = 0; i < slots; i++) table.set(TABLE_OFFSET + i, null);
}

function i32Const(value: number): number[] {
  return [0x41, ...sleb(value)];
}

function sleb(value: number): number[] {
  const bytes: number[] = [];
  for (;;) {
    const low = value & 0x7f;
    value >>= 7;
    if ((value === 0 && !(low & 0x40)) || (value === -1 && low & 0x40)) return [...bytes, low];
    bytes.push(low | 0x80);
  }
}

function uleb(value: number): number[] {
  const bytes: number[] = [];
  do {
    const low = value & 0x7f;
    value >>>= 7;
    bytes.push(value ? low | 0x80 : low);
  } while (value);
  return bytes;
}

function occurrences(haystack: Uint8Array, needle: number[]): number[] {
  const found: number[] = [];
  // indexOf jumps natively to the next candidate: a byte-by-byte loop over the
  // 2 MB module took 60-120 ms in Chromium's worker.
  outer: for (let i = haystack.indexOf(needle[0]!); i >= 0 && i <= haystack.length - needle.length; i = haystack.indexOf(needle[0]!, i + 1)) {
    for (let j = 1; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    found.push(i);
  }
  return found;
}
