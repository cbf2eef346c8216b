import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { jitModulePages, LAB_JIT_MODULE_PAGES, limitJitModulePages } from '../../workers/jit-module-pages';

/** v86.wasm instantiated with no-op imports, shaped as the emulator object the lab holds. */
function realV86(): unknown {
  const module = new WebAssembly.Module(readFileSync(createRequire(import.meta.url).resolve('v86/build/v86.wasm')));
  const env: Record<string, unknown> = {};
  for (const i of WebAssembly.Module.imports(module)) {
    env[i.name] = i.kind === 'table' ? new WebAssembly.Table({ element: 'anyfunc', initial: 2048 }) : () => 0;
  }
  const exports = new WebAssembly.Instance(module, { env: env as WebAssembly.ModuleImports }).exports as { rust_init(): void };
  exports.rust_init();
  return { v86: { cpu: { wm: { exports } } } };
}

describe('one page per compiled JIT module', () => {
  it("changes v86's own setting from three pages to one", () => {
    const emulator = realV86();
    expect(jitModulePages(emulator)).toBe(3);
    expect(limitJitModulePages(emulator)).toBe(true);
    expect(jitModulePages(emulator)).toBe(LAB_JIT_MODULE_PAGES);
    expect(LAB_JIT_MODULE_PAGES).toBe(1);
  });

  it('leaves a v86 without exported JIT settings alone', () => {
    const emulator = { v86: { cpu: { wm: { exports: {} } } } };
    expect(limitJitModulePages(emulator)).toBe(false);
    expect(jitModulePages(emulator)).toBeNull();
    expect(limitJitModulePages(undefined)).toBe(false);
  });
});
