import { open, mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DISK_CHUNK_SIZE, DISK_FREE_BYTES } from '../config.ts';
import { run, treeBytes } from '../lib/exec.ts';
import { sha256File } from '../lib/hash.ts';
import { requireTool } from '../lib/host.ts';
import { GUEST_ROOTFS_SRC } from '../lib/paths.ts';
import { mb } from '../lib/units.ts';
import { PACKED, packReadOnlyFiles } from '../lib/packed-files.ts';
import type { Step, StepContext } from '../pipeline.ts';
import { ENGINE_BINARIES } from './engine.ts';
import { GUEST_PROGRAMS } from './programs.ts';
import { emptyRanges } from '../../workers/disk-parts.ts';

export interface DiskInfo {
  size: number;
  chunkSize: number;
  parts: number;
  /** Parts of zeros only, not written ([first, end) ranges; see DiskImage.empty). */
  empty: Array<[number, number]>;
  servedBytes: number;
  sha256: string;
}

/**
 * The guest's ext4 disk: root filesystem + our files + kernel modules + agent +
 * the prebuilt /var/lib/docker and registry. Output: disk.img (for Node and QEMU),
 * parts/rootfs-<start>-<end>.img.zst (what the browser fetches lazily) and disk.json.
 */
export const diskStep: Step = {
  name: 'disk',
  description: 'ext4 guest disk and its lazily loaded parts',
  deps: ['rootfs', 'engine', 'kernel', 'images', 'programs', 'pyindex'],
  sources: ['image-build/steps/disk.ts', 'image-build/lib/packed-files.ts', 'guest-rootfs/files'],
  settings: { chunk: DISK_CHUNK_SIZE, free: DISK_FREE_BYTES, format: 4 },
  async run(ctx: StepContext) {
    // Machines set up before the packing have no squashfs-tools: one clear sentence, not ENOENT deep inside.
    requireTool('disk', '/usr/bin/mksquashfs', 'squashfs-tools');
    const stage = path.join(ctx.out, '.stage');
    ctx.progress('assembling the root filesystem');
    // Hard links: a 1 GB tree is staged in a second without copying; only files we
    // replace get new inodes, so the cached inputs are never modified.
    await run('cp', ['-al', path.join(ctx.input('rootfs'), 'rootfs'), stage]);
    await run('cp', ['-r', '--remove-destination', '--preserve=mode', `${path.join(GUEST_ROOTFS_SRC, 'files')}/.`, stage]);
    for (const [link, target] of [['usr/sbin/init', '/usr/bin/busybox'], ['usr/sbin/reboot', '/usr/bin/busybox'], ['usr/sbin/poweroff', '/usr/bin/busybox'], ['usr/sbin/halt', '/usr/bin/busybox']] as const) {
      await run('ln', ['-sfn', target, path.join(stage, link)]);
    }
    await run('cp', ['-al', path.join(ctx.input('kernel'), 'lib/modules'), path.join(stage, 'usr/lib/')]);
    for (const [name, target] of Object.entries(ENGINE_BINARIES)) {
      await run('cp', ['--remove-destination', path.join(ctx.input('engine'), name), path.join(stage, target)]);
    }
    for (const program of Object.keys(GUEST_PROGRAMS).filter((name) => name !== 'lab-shim' && name !== 'lab-keeper')) {
      await run('cp', ['--remove-destination', path.join(ctx.input('programs'), program), path.join(stage, 'usr/local/sbin', program)]);
    }
    // containerd finds its shim on PATH by name: lab-shim takes the name and
    // hands the long-lived server part to the real shim (see lab-shim.c).
    await mkdir(path.join(stage, 'usr/lib/lab'), { recursive: true });
    await rename(path.join(stage, 'usr/bin/containerd-shim-runc-v2'), path.join(stage, 'usr/lib/lab/containerd-shim-runc-v2'));
    // containerd's v1 shims (13.5 MB): Docker 26 only starts io.containerd.runc.v2.
    for (const unused of ['usr/bin/containerd-shim', 'usr/bin/containerd-shim-runc-v1']) await rm(path.join(stage, unused));
    // glibc's iconv modules (8 MB, 3.2 MB packed, in every offline download): nothing
    // on the guest's own system converts character sets (the engine is Go, the lab's
    // programs are C without iconv); containers bring their own.
    await rm(path.join(stage, 'usr/lib/i386-linux-gnu/gconv'), { recursive: true });
    await run('cp', [path.join(ctx.input('programs'), 'lab-shim'), path.join(stage, 'usr/bin/containerd-shim-runc-v2')]);
    // The keeper container's whole root filesystem: its one program (see lab-shim-keeper).
    await mkdir(path.join(stage, 'usr/lib/lab/keeper'), { recursive: true });
    await run('cp', [path.join(ctx.input('programs'), 'lab-keeper'), path.join(stage, 'usr/lib/lab/keeper/lab-keeper')]);
    // The layer store's files are further names of Docker's (see layer-store.ts): cp -al
    // of both keeps them one inode each, and mksquashfs keeps hard links.
    for (const [from, to] of [['docker', 'var/lib/docker'], ['registry', 'var/lib/docker-registry'], ['layers', PACKED.layerStore]] as const) {
      await rm(path.join(stage, to), { recursive: true, force: true });
      await mkdir(path.dirname(path.join(stage, to)), { recursive: true });
      await run('cp', ['-al', path.join(ctx.input('images'), from), path.join(stage, to)]);
    }

    await run('cp', ['-al', path.join(ctx.input('pyindex'), 'pypi'), path.join(stage, 'srv/pypi')]);

    ctx.progress('packing the catalog\'s layers and the CLI plugins (squashfs, zstd -19)');
    const packedWork = path.join(ctx.out, '.packed');
    const packed = await packReadOnlyFiles(stage, packedWork, ctx.log);
    await rm(packedWork, { recursive: true, force: true });
    ctx.progress(`${packed.layers} layers and the CLI plugins: ${mb(packed.unpackedBytes)} packed into ${mb(packed.packedBytes)}`);

    const used = await treeBytes(stage);
    const size = Math.ceil((used * 1.15 + DISK_FREE_BYTES) / DISK_CHUNK_SIZE) * DISK_CHUNK_SIZE;
    ctx.progress(`mkfs.ext4: ${mb(used)} of files on a ${mb(size)} disk`);
    const image = path.join(ctx.out, 'disk.img');
    // No journal: the VM's disk and RAM are always saved together, so there is no crash
    // to recover from, and every journal write would grow the saved state.
    await run('mkfs.ext4', ['-q', '-F', '-L', 'lab-root', '-O', '^has_journal', '-i', '8192',
      '-E', 'lazy_itable_init=0,lazy_journal_init=0,root_owner=0:0', '-d', stage, image, `${size / 1024}k`], { log: ctx.log })
      .catch((err: Error) => { throw new Error(`${err.message} (is there ${mb(size)} of free disk space?)`, { cause: err }); });
    await rm(stage, { recursive: true, force: true });

    const { parts, empty } = await splitIntoParts(ctx, image, size);
    const servedBytes = await totalSize(path.join(ctx.out, 'parts'));
    const info: DiskInfo = { size, chunkSize: DISK_CHUNK_SIZE, parts, empty, servedBytes, sha256: await sha256File(image) };
    await writeFile(path.join(ctx.out, 'disk.json'), `${JSON.stringify(info, null, 2)}\n`);
    const emptyCount = empty.reduce((n, [first, end]) => n + end - first, 0);
    ctx.progress(`${parts} parts, ${emptyCount} of them empty (not served), ${mb(servedBytes)} served`);
  },
};

async function splitIntoParts(ctx: StepContext, image: string, size: number): Promise<{ parts: number; empty: Array<[number, number]> }> {
  const dir = path.join(ctx.out, 'parts');
  await mkdir(dir, { recursive: true });
  const file = await open(image, 'r');
  const buffer = Buffer.alloc(DISK_CHUNK_SIZE);
  const zeros = Buffer.alloc(DISK_CHUNK_SIZE);
  const names: string[] = [];
  const isEmpty: boolean[] = [];
  try {
    for (let start = 0; start < size; start += DISK_CHUNK_SIZE) {
      await file.read(buffer, 0, DISK_CHUNK_SIZE, start);
      const empty = buffer.equals(zeros);
      isEmpty.push(empty);
      if (empty) continue;
      const name = `rootfs-${start}-${start + DISK_CHUNK_SIZE}.img`;
      await writeFile(path.join(dir, name), buffer);
      names.push(name);
      if (names.length % 512 === 0) ctx.progress(`split ${mb(start)} of ${mb(size)}`);
    }
  } finally {
    await file.close();
  }
  ctx.progress('compressing parts with zstd');
  // Two zstd processes (one per core), each over half of the parts. Level 19
  // instead of 9: 5.6 % fewer bytes to download (a tenth of the parts measured:
  // 43.1 → 40.7 MB), unpacked as fast; -22 gained nothing more on 256 KiB parts.
  const half = Math.ceil(names.length / 2);
  await Promise.all([names.slice(0, half), names.slice(half)].map((batch) =>
    run('zstd', ['-q', '--rm', '-19', ...batch], { cwd: dir, log: ctx.log })));
  return { parts: isEmpty.length, empty: emptyRanges(isEmpty.length, (i) => isEmpty[i]!) };
}

async function totalSize(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir)) total += (await stat(path.join(dir, name))).size;
  return total;
}

export async function readDiskInfo(dir: string): Promise<DiskInfo> {
  return JSON.parse(await readFile(path.join(dir, 'disk.json'), 'utf8')) as DiskInfo;
}
