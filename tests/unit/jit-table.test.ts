import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { enlargeJitTable, jitTableWasmLoader, LAB_JIT_SLOTS, V86_JIT_SLOTS } from '../../workers/jit-table';

const v86Wasm = new Uint8Array(readFileSync(createRequire(import.meta.url).resolve('v86/build/v86.wasm')));

/** v86's imports with every function a no-op and the module table v86 itself would create. */
function stubImports(module: WebAssembly.Module): { env: Record<string, unknown>; table: WebAssembly.Table } {
  const table = new WebAssembly.Table({ element: 'anyfunc', initial: 1024 + V86_JIT_SLOTS });
  const env: Record<string, unknown> = {};
  for (const i of WebAssembly.Module.imports(module)) env[i.name] = i.kind === 'table' ? table : () => 0;
  return { env, table };
}

/** Runs v86's rust_init and returns the longest run 1, 2, 3, … of u16s in its memory: the JIT's free slot list. */
function freeSlotList(wasm: Uint8Array<ArrayBuffer>): number {
  const module = new WebAssembly.Module(wasm);
  const exports = new WebAssembly.Instance(module, { env: stubImports(module).env as WebAssembly.ModuleImports }).exports as {
    rust_init(): void;
    memory: WebAssembly.Memory;
  };
  exports.rust_init();
  const words = new Uint16Array(exports.memory.buffer);
  let longest = 0;
  for (let i = words.indexOf(1); i >= 0; i = words.indexOf(1, i + 1)) {
    let n = 0;
    while (words[i + n] === n + 1) n++;
    longest = Math.max(longest, n);
  }
  return longest;
}

/** v86.wasm with the free list's loop (i32.const 1792; i32.ne) changed, as another release might have it. */
function anotherRelease(): Uint8Array<ArrayBuffer> {
  const other = new Uint8Array(v86Wasm);
  const at = other.findIndex((_, i) => other[i] === 0x41 && other[i + 1] === 0x80 && other[i + 2] === 0x0e && other[i + 3] === 0x47);
  other[at + 3] = 0x46;
  return other;
}

describe('JIT table', () => {
  it("gives v86's JIT the lab's slot count instead of 900", () => {
    expect(freeSlotList(new Uint8Array(v86Wasm))).toBe(V86_JIT_SLOTS - 1);
    const patched = enlargeJitTable(v86Wasm, LAB_JIT_SLOTS);
    expect(patched).not.toBeNull();
    expect(patched!.byteLength).toBe(v86Wasm.byteLength);
    expect(freeSlotList(patched!)).toBe(LAB_JIT_SLOTS - 1);
  });

  it('leaves bytes it does not recognise alone', () => {
    const other = anotherRelease();
    expect(enlargeJitTable(other, LAB_JIT_SLOTS)).toBeNull();
    expect(enlargeJitTable(new Uint8Array(16), LAB_JIT_SLOTS)).toBeNull();
  });

  it('refuses slot counts that cannot be patched in place', () => {
    expect(() => enlargeJitTable(v86Wasm, 2021)).toThrow(RangeError);
    expect(() => enlargeJitTable(v86Wasm, 2052)).toThrow(RangeError);
    expect(() => enlargeJitTable(v86Wasm, 4)).toThrow(RangeError);
  });

  it("grows v86's module table and clears all of it when v86 drops its compiled code", async () => {
    const { env, table } = stubImports(new WebAssembly.Module(v86Wasm));
    const v86ClearAll = env.jit_clear_all_funcs;
    let original: Uint8Array | undefined;
    const exports = await jitTableWasmLoader(async () => v86Wasm, (bytes) => { original = bytes; })({ env });
    expect(original).toBe(v86Wasm);
    expect(table.length).toBe(1024 + LAB_JIT_SLOTS);
    expect(env.jit_clear_all_funcs).not.toBe(v86ClearAll);
    const last = 1024 + LAB_JIT_SLOTS - 1;
    table.set(last, exports.rust_init as () => void);
    (env.jit_clear_all_funcs as () => void)();
    expect(table.get(last)).toBeNull();
  });

  it('instantiates v86.wasm unchanged when it is not the release the patch knows', async () => {
    const other = anotherRelease();
    const { env, table } = stubImports(new WebAssembly.Module(other));
    const v86ClearAll = env.jit_clear_all_funcs;
    await jitTableWasmLoader(async () => other, () => undefined)({ env });
    expect(table.length).toBe(1024 + V86_JIT_SLOTS);
    expect(env.jit_clear_all_funcs).toBe(v86ClearAll);
  });
});
