// The v86 constructor options for a guest, derived from its manifest alone.
// Kept apart from machine.ts so it can be checked without loading v86.

import type { GuestManifest } from './guest-manifest';

/** Maps a manifest-relative path to a URL (browser) or a file path (Node). */
export type ResolvePath = (manifestRelativePath: string) => string;

interface FileRef {
  url: string;
}

/** The subset of v86's constructor options this project sets. */
export interface V86Config {
  wasm_path: string;
  /** Instantiates v86.wasm instead of v86's own loader (see jit-table.ts). */
  wasm_fn?: (imports: { env: Record<string, unknown> }) => Promise<WebAssembly.Exports>;
  memory_size: number;
  vga_memory_size: number;
  bios: FileRef;
  vga_bios: FileRef;
  bzimage?: FileRef;
  initrd?: FileRef;
  cmdline?: string;
  /** An object with v86's buffer methods (see lazy-disk.ts). */
  hda: object;
  uart1: true;
  acpi: boolean;
  autostart: boolean;
  disable_keyboard: true;
  disable_mouse: true;
  disable_speaker: true;
  initial_state?: FileRef;
}

/**
 * Snapshot and restore only work when both sides use identical settings, so
 * every machine option comes from the manifest and nowhere else. A machine that
 * resumes a state (`resuming`, implied by `initialStateUrl`) gets no kernel or
 * initrd: the state's RAM already holds the running kernel, and skipping them
 * saves their download (~11 MB) on a first visit.
 */
export function v86OptionsFromManifest(
  manifest: GuestManifest,
  resolve: ResolvePath,
  wasmPath: string,
  disk: object,
  initialStateUrl?: string,
  resuming = initialStateUrl !== undefined,
): V86Config {
  const m = manifest.machine;
  const config: V86Config = {
    wasm_path: wasmPath,
    memory_size: m.memorySize,
    vga_memory_size: m.vgaMemorySize,
    bios: { url: resolve(manifest.bios.path) },
    vga_bios: { url: resolve(manifest.vgaBios.path) },
    hda: disk,
    uart1: m.uart1,
    acpi: m.acpi,
    autostart: true,
    disable_keyboard: true,
    disable_mouse: true,
    disable_speaker: true,
  };
  if (!resuming) {
    config.bzimage = { url: resolve(manifest.kernel.path) };
    config.initrd = { url: resolve(manifest.initrd.path) };
    config.cmdline = m.cmdline;
  }
  if (initialStateUrl !== undefined) config.initial_state = { url: initialStateUrl };
  return config;
}
