import { chmod, copyFile, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { INITRAMFS_MODULES } from '../config.ts';
import { run } from '../lib/exec.ts';
import { GUEST_ROOTFS_SRC } from '../lib/paths.ts';
import type { Step, StepContext } from '../pipeline.ts';

const APPLETS = ['sh', 'mount', 'umount', 'modprobe', 'insmod', 'switch_root', 'sleep', 'cat', 'mkdir', 'ls'];

/**
 * A few-MB initramfs: static busybox plus the modules the disk, ext4 and Docker
 * need. Debian's initramfs-tools image is several times larger and slower to unpack.
 */
export const initramfsStep: Step = {
  name: 'initramfs',
  description: 'busybox initramfs with the disk and Docker kernel modules',
  deps: ['kernel', 'rootfs'],
  sources: ['image-build/steps/initramfs.ts', 'guest-rootfs/initramfs'],
  settings: { modules: INITRAMFS_MODULES, compression: 'zstd -19' },
  async run(ctx: StepContext) {
    const kernel = ctx.input('kernel');
    const version = (await readFile(path.join(kernel, 'kernel-version.txt'), 'utf8')).trim();
    const tree = path.join(ctx.out, 'tree');
    for (const dir of ['bin', 'proc', 'sys', 'dev', 'newroot', 'etc']) await mkdir(path.join(tree, dir), { recursive: true });
    await copyFile(path.join(ctx.input('rootfs'), 'rootfs/usr/bin/busybox'), path.join(tree, 'bin/busybox'));
    await chmod(path.join(tree, 'bin/busybox'), 0o755);
    for (const applet of APPLETS) await symlink('busybox', path.join(tree, 'bin', applet));
    await copyFile(path.join(REPO_INITRAMFS, 'init'), path.join(tree, 'init'));
    await chmod(path.join(tree, 'init'), 0o755);

    // modprobe resolves dependencies against the kernel step's modules.dep.
    const files = new Set<string>();
    for (const module of INITRAMFS_MODULES) {
      const deps = await run('modprobe', ['-d', kernel, '-S', version, '--show-depends', module], { capture: true, log: ctx.log });
      for (const match of deps.stdout.matchAll(/^insmod (\S+)/gm)) files.add(match[1]!);
    }
    for (const file of files) {
      const relative = path.relative(kernel, file);
      await mkdir(path.dirname(path.join(tree, relative)), { recursive: true });
      await copyFile(file, path.join(tree, relative));
    }
    for (const meta of ['modules.order', 'modules.builtin', 'modules.builtin.modinfo']) {
      await copyFile(path.join(kernel, 'lib/modules', version, meta), path.join(tree, 'lib/modules', version, meta));
    }
    await run('depmod', ['-b', tree, version], { log: ctx.log });
    await writeFile(path.join(tree, 'etc/modules-early'), `${INITRAMFS_MODULES.join('\n')}\n`);
    ctx.progress(`${files.size} modules`);
    const list = await run('sh', ['-c', 'find . -mindepth 1 | sort'], { cwd: tree, capture: true });
    // zstd, which the kernel unpacks itself: only a cold boot reads it, and every
    // offline download carries it (5.6 → 2.0 MB).
    await run('sh', ['-c', `cpio --quiet -o -H newc -R 0:0 | zstd -q -19 > ${JSON.stringify(path.join(ctx.out, 'initrd.img'))}`], { cwd: tree, input: list.stdout });
    await rm(tree, { recursive: true, force: true });
  },
};

const REPO_INITRAMFS = path.join(GUEST_ROOTFS_SRC, 'initramfs');
