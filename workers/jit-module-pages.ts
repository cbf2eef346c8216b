// v86 compiles hot guest code one module at a time, and by default a module
// follows the code's jumps across up to three 4 KiB pages. After every resume
// the JIT starts cold, and Docker's Go programs make those modules large: under
// Node from the snapshot, the first `docker run` generated 14.7 MB of wasm in
// 148 modules; with one page per module, 8 MB. Same snapshot, v86's own
// (asynchronous) compiles, alternated: the first five runs after a resume
// 8.7, 6.1, 5.1, 4.5, 3.3 s with three pages, 5.9, 4.3, 3.6, 3.3, 2.7 s with one;
// warm runs stayed at 2.1–2.6 s over forty runs, with more (smaller) modules.

/** Pages one compiled module may span (v86's own default is 3). */
export const LAB_JIT_MODULE_PAGES = 1;

/** v86's index of `MAX_PAGES` in its exported `set_jit_config` / `get_jit_config`. */
const MAX_PAGES = 1;

interface JitSettings {
  set_jit_config(index: number, value: number): void;
  get_jit_config(index: number): number;
}

function jitSettings(emulator: unknown): JitSettings | null {
  const exports = (emulator as { v86?: { cpu?: { wm?: { exports?: Partial<JitSettings> } } } } | undefined)?.v86?.cpu?.wm?.exports;
  return typeof exports?.set_jit_config === 'function' && typeof exports.get_jit_config === 'function' ? exports as JitSettings : null;
}

/**
 * Sets how many pages a compiled module may span. Returns false (and changes
 * nothing) when this v86 does not export its JIT settings, so another release
 * runs with its own defaults instead of failing.
 */
export function limitJitModulePages(emulator: unknown, pages: number = LAB_JIT_MODULE_PAGES): boolean {
  const settings = jitSettings(emulator);
  settings?.set_jit_config(MAX_PAGES, pages);
  return settings?.get_jit_config(MAX_PAGES) === pages;
}

/** The pages a compiled module may span in this emulator now, or null if v86 does not say. */
export function jitModulePages(emulator: unknown): number | null {
  return jitSettings(emulator)?.get_jit_config(MAX_PAGES) ?? null;
}
