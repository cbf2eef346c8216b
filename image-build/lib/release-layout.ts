import { copyFile, link, mkdir, readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { MACHINE } from '../config.ts';
import type { ArtifactFile, CatalogImage, GuestManifest } from '../../workers/guest-manifest.ts';
import { run } from './exec.ts';
import { sha256, sha256File } from './hash.ts';
import type { DiskInfo } from '../steps/disk.ts';

/** Debian's seabios package: v86 boots SeaBIOS fine and we may not download BIOS images. */
const BIOS = '/usr/share/seabios/bios.bin';
const VGA_BIOS = '/usr/share/seabios/vgabios-stdvga.bin';

export const DISK_URL = 'disk/rootfs.img.zst';

export interface GuestInputs {
  kernelDir: string;
  initramfsDir: string;
  diskDir: string;
}

/**
 * Lays out the files v86 boots from, exactly as the site serves them, and returns
 * the manifest describing them. The snapshot step boots from this same layout,
 * so what the browser restores matches what was saved, file for file.
 */
export async function layOutGuest(dir: string, inputs: GuestInputs): Promise<GuestManifest> {
  await mkdir(dir, { recursive: true });
  await copyFile(BIOS, path.join(dir, 'bios.bin'));
  await copyFile(VGA_BIOS, path.join(dir, 'vgabios.bin'));
  await link(path.join(inputs.kernelDir, 'vmlinuz'), path.join(dir, 'vmlinuz'));
  await link(path.join(inputs.initramfsDir, 'initrd.img'), path.join(dir, 'initrd.img'));
  await run('cp', ['-al', path.join(inputs.diskDir, 'parts'), path.join(dir, 'disk')]);
  const disk = JSON.parse(await readFile(path.join(inputs.diskDir, 'disk.json'), 'utf8')) as DiskInfo;
  const files = {
    bios: await artifact(dir, 'bios.bin'),
    vgaBios: await artifact(dir, 'vgabios.bin'),
    kernel: await artifact(dir, 'vmlinuz'),
    initrd: await artifact(dir, 'initrd.img'),
  };
  const v86Version = v86PackageVersion();
  // Everything a saved VM state depends on; the snapshot itself is not part of it,
  // so a better warm-up does not invalidate learners' saved work.
  const buildId = sha256(JSON.stringify([files, disk.sha256, MACHINE, v86Version])).slice(0, 16);
  return {
    format: 1,
    buildId,
    createdAt: new Date().toISOString(),
    machine: { ...MACHINE, uart1: true },
    ...files,
    disk: { size: disk.size, chunkSize: disk.chunkSize, url: DISK_URL, parts: disk.parts, servedBytes: disk.servedBytes, sha256: disk.sha256, empty: disk.empty },
    images: [] as CatalogImage[],
    versions: { v86: v86Version },
  };
}

export async function artifact(dir: string, relative: string): Promise<ArtifactFile> {
  const file = path.join(dir, relative);
  const { size } = await stat(file);
  return { path: relative, size, sha256: await sha256File(file) };
}

export function v86PackageVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('v86/package.json') as { version: string }).version;
}
