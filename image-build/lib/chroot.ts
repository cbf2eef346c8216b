import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { run, type RunOptions } from './exec.ts';

/**
 * Mounts what programs inside a build chroot expect (/proc, /sys, /dev, /run) and
 * always unmounts it again, even when the work fails, so no mount outlives a build.
 */
export async function withChrootMounts<T>(root: string, work: () => Promise<T>, extra: Array<[string, string]> = []): Promise<T> {
  const mounts: string[] = [];
  const mount = async (args: string[], target: string) => {
    await mkdir(target, { recursive: true });
    await run('mount', [...args, target]);
    mounts.push(target);
  };
  try {
    await mount(['-t', 'proc', 'proc'], path.join(root, 'proc'));
    await mount(['--rbind', '/sys'], path.join(root, 'sys'));
    await mount(['--bind', '/dev'], path.join(root, 'dev'));
    await mount(['--bind', '/dev/pts'], path.join(root, 'dev/pts'));
    await mount(['-t', 'tmpfs', 'tmpfs'], path.join(root, 'run'));
    for (const [source, target] of extra) await mount(['--bind', source], path.join(root, target));
    return await work();
  } finally {
    for (const target of mounts.reverse()) {
      await run('umount', ['-R', '-l', target], { allowFailure: true });
    }
  }
}

export function chroot(root: string, script: string, options: RunOptions = {}) {
  return run('chroot', [root, '/bin/sh', '-ec', script], {
    ...options,
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', DEBIAN_FRONTEND: 'noninteractive', LANG: 'C.UTF-8', HOME: '/root', ...options.env },
  });
}
