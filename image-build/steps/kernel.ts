import { cp, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { KEPT_MODULE_DIRS, KERNEL_META_PACKAGE, KERNEL_SUITE } from '../config.ts';
import { aptDownloadI386 } from '../lib/apt-download.ts';
import { run } from '../lib/exec.ts';
import type { Step, StepContext } from '../pipeline.ts';

/** Output: vmlinuz, lib/modules/<version>/ (trimmed, depmod'ed) and kernel-version.txt. */
export const kernelStep: Step = {
  name: 'kernel',
  description: `Debian ${KERNEL_SUITE} 686 kernel and the modules a v86 PC can use`,
  deps: [],
  sources: ['image-build/steps/kernel.ts', 'image-build/lib/apt-download.ts'],
  settings: { suite: KERNEL_SUITE, pkg: KERNEL_META_PACKAGE, kept: KEPT_MODULE_DIRS },
  async run(ctx: StepContext) {
    const debs = path.join(ctx.out, '.debs');
    ctx.progress('downloading the kernel package');
    const [pkg] = await aptDownloadI386(ctx, KERNEL_SUITE, [KERNEL_META_PACKAGE], debs);
    const deb = (await readdir(debs)).find((name) => name.startsWith(`${pkg}_`));
    if (!deb) throw new Error(`apt-get download did not produce ${pkg}`);
    const extracted = path.join(ctx.out, '.extract');
    await run('dpkg-deb', ['-x', path.join(debs, deb), extracted], { log: ctx.log });
    const version = (await readdir(path.join(extracted, 'lib/modules')))[0]!;
    await rename(path.join(extracted, 'boot', `vmlinuz-${version}`), path.join(ctx.out, 'vmlinuz'));
    await rename(path.join(extracted, 'boot', `config-${version}`), path.join(ctx.out, 'config'));

    ctx.progress('keeping the modules a v86 PC can use');
    const from = path.join(extracted, 'lib/modules', version);
    const to = path.join(ctx.out, 'lib/modules', version);
    await mkdir(to, { recursive: true });
    for (const file of ['modules.order', 'modules.builtin', 'modules.builtin.modinfo']) {
      await cp(path.join(from, file), path.join(to, file));
    }
    for (const kept of KEPT_MODULE_DIRS) {
      await mkdir(path.dirname(path.join(to, kept)), { recursive: true });
      await cp(path.join(from, kept), path.join(to, kept), { recursive: true }).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    }
    // Sound, wireless and graphics drivers under kernel/net and kernel/fs that no lab uses.
    for (const unused of ['kernel/net/wireless', 'kernel/net/mac80211', 'kernel/net/bluetooth', 'kernel/fs/nls', 'kernel/fs/ocfs2', 'kernel/fs/xfs', 'kernel/fs/btrfs', 'kernel/fs/gfs2', 'kernel/fs/ceph', 'kernel/fs/nfs', 'kernel/fs/smb', 'kernel/fs/f2fs', 'kernel/fs/jfs', 'kernel/fs/reiserfs']) {
      await rm(path.join(to, unused), { recursive: true, force: true });
    }
    await run('depmod', ['-b', ctx.out, version], { log: ctx.log });
    await rm(extracted, { recursive: true, force: true });
    await rm(debs, { recursive: true, force: true });
    await rm(path.join(ctx.out, '.apt'), { recursive: true, force: true });
    await writeFile(path.join(ctx.out, 'kernel-version.txt'), `${version}\n`);
  },
};
