import path from 'node:path';
import { rm, writeFile } from 'node:fs/promises';
import { DEBIAN_MIRROR, GUEST_PACKAGES, GUEST_SUITE } from '../config.ts';
import { debootstrapWithRetry } from '../lib/debootstrap.ts';
import { chroot } from '../lib/chroot.ts';
import { requireRoot, requireTool } from '../lib/host.ts';
import { run } from '../lib/exec.ts';
import type { Step, StepContext } from '../pipeline.ts';

/** Files and folders no one in the lab reads: docs, man pages, translations, package caches. */
const TRIM = [
  'var/cache/apt', 'var/lib/apt/lists', 'usr/share/doc', 'usr/share/man', 'usr/share/info',
  'usr/share/lintian', 'usr/share/linda', 'var/cache/debconf/templates.dat-old', 'var/log/bootstrap.log',
];

export const rootfsStep: Step = {
  name: 'rootfs',
  description: `debootstrap Debian ${GUEST_SUITE} i386 with Docker`,
  deps: [],
  sources: ['image-build/steps/rootfs.ts'],
  settings: { suite: GUEST_SUITE, packages: GUEST_PACKAGES, format: 2 },
  async run(ctx: StepContext) {
    requireRoot('rootfs');
    requireTool('rootfs', '/usr/sbin/debootstrap', 'debootstrap');
    const root = path.join(ctx.out, 'rootfs');
    let packagesDone = 0;
    await debootstrapWithRetry(ctx, [
      '--arch=i386', '--variant=minbase', `--include=${GUEST_PACKAGES.join(',')}`,
      GUEST_SUITE, root, DEBIAN_MIRROR,
    ], (line) => {
      if (/^I: (Unpacking|Configuring) /.test(line)) packagesDone++;
      if (line.startsWith('I: ')) ctx.progress(`${line.slice(3)} (${packagesDone} package steps)`);
    });
    ctx.progress('configuring');
    // iptables-legacy talks to the bookworm kernel's x_tables directly and needs no nf_tables modules.
    await chroot(root, [
      'update-alternatives --set iptables /usr/sbin/iptables-legacy',
      'update-alternatives --set ip6tables /usr/sbin/ip6tables-legacy',
      'apt-get clean',
    ].join('\n'), { log: ctx.log });
    for (const entry of TRIM) await rm(path.join(root, entry), { recursive: true, force: true });
    await run('find', [path.join(root, 'usr/share/locale'), '-mindepth', '1', '-maxdepth', '1', '!', '-name', 'C.*', '!', '-name', 'en*', '-exec', 'rm', '-rf', '{}', '+']);
    const versions = await chroot(root, "dpkg-query -W -f '${Package} ${Version}\\n' docker.io docker-cli docker-buildx docker-compose containerd runc crun docker-registry", { capture: true });
    await writeFile(path.join(ctx.out, 'versions.txt'), versions.stdout);
  },
};
