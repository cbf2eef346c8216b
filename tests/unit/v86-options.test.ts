import { describe, expect, it } from 'vitest';
import type { GuestManifest } from '../../workers/guest-manifest';
import { v86OptionsFromManifest } from '../../workers/v86-options';

const file = (path: string, size = 1000) => ({ path, size, sha256: '0'.repeat(64) });

const manifest: GuestManifest = {
  format: 1,
  buildId: 'b-123',
  createdAt: '2025-01-01T00:00:00Z',
  machine: {
    memorySize: 512 * 1024 * 1024,
    vgaMemorySize: 2 * 1024 * 1024,
    cmdline: 'console=ttyS0 root=/dev/sda rw',
    uart1: true,
    acpi: false,
  },
  bios: file('bios/seabios.bin'),
  vgaBios: file('bios/vgabios.bin'),
  kernel: file('kernel/bzImage'),
  initrd: file('kernel/initrd.img'),
  disk: {
    size: 2 * 1024 ** 3,
    chunkSize: 1024 * 1024,
    url: 'disk/rootfs.img.zst',
    parts: 2048,
    servedBytes: 300 * 1024 * 1024,
    sha256: '1'.repeat(64),
  },
  snapshot: { ...file('state/ready.bin.zst'), rawSize: 600 * 1024 * 1024 },
  images: [],
  versions: {},
};

const resolve = (p: string) => `https://lab.example/guest/${p}`;
const disk = { get() {}, set() {}, load() {} };

describe('v86OptionsFromManifest', () => {
  it('maps every machine setting from the manifest', () => {
    expect(v86OptionsFromManifest(manifest, resolve, '/assets/v86.wasm', disk)).toEqual({
      wasm_path: '/assets/v86.wasm',
      memory_size: 512 * 1024 * 1024,
      vga_memory_size: 2 * 1024 * 1024,
      bios: { url: 'https://lab.example/guest/bios/seabios.bin' },
      vga_bios: { url: 'https://lab.example/guest/bios/vgabios.bin' },
      bzimage: { url: 'https://lab.example/guest/kernel/bzImage' },
      initrd: { url: 'https://lab.example/guest/kernel/initrd.img' },
      cmdline: 'console=ttyS0 root=/dev/sda rw',
      hda: disk,
      uart1: true,
      acpi: false,
      autostart: true,
      disable_keyboard: true,
      disable_mouse: true,
      disable_speaker: true,
    });
  });

  it('adds the snapshot as initial_state only when asked', () => {
    const url = resolve(manifest.snapshot!.path);
    expect(v86OptionsFromManifest(manifest, resolve, 'w', disk).initial_state).toBeUndefined();
    expect(v86OptionsFromManifest(manifest, resolve, 'w', disk, url).initial_state).toEqual({ url });
  });

  it('leaves out the kernel and initrd when the machine resumes a state', () => {
    const fromSnapshot = v86OptionsFromManifest(manifest, resolve, 'w', disk, resolve(manifest.snapshot!.path));
    const fromSaved = v86OptionsFromManifest(manifest, resolve, 'w', disk, undefined, true);
    for (const options of [fromSnapshot, fromSaved]) {
      expect(options.bzimage).toBeUndefined();
      expect(options.initrd).toBeUndefined();
      expect(options.cmdline).toBeUndefined();
      expect(options.hda).toBe(disk);
    }
  });

  it('passes Node file paths through unchanged', () => {
    const options = v86OptionsFromManifest(manifest, (p) => `/srv/guest/${p}`, '/nm/v86/build/v86.wasm', disk);
    expect(options.bios.url).toBe('/srv/guest/bios/seabios.bin');
  });

  it('follows the manifest when acpi is on', () => {
    expect(v86OptionsFromManifest({ ...manifest, machine: { ...manifest.machine, acpi: true } }, resolve, 'w', disk).acpi).toBe(true);
  });
});
