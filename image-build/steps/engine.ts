import { cpus } from 'node:os';
import { open, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DEBIAN_MIRROR, DEBIAN_SECURITY_MIRROR, GUEST_SUITE } from '../config.ts';
import { chroot, withChrootMounts } from '../lib/chroot.ts';
import { debootstrapWithRetry } from '../lib/debootstrap.ts';
import { requireRoot, requireTool } from '../lib/host.ts';
import { run } from '../lib/exec.ts';
import type { Step, StepContext } from '../pipeline.ts';

/** What this step rebuilds, and where Debian's docker.io / docker-cli put each in the guest. */
export const ENGINE_BINARIES = {
  dockerd: 'usr/sbin/dockerd',
  'docker-proxy': 'usr/sbin/docker-proxy',
  docker: 'usr/bin/docker',
} as const;

/**
 * Debian's docker.io source, the version the guest's packages were built from,
 * rebuilt in a trixie i386 chroot with Debian's own rules and Go, changing one
 * thing: position-dependent executables instead of `-buildmode=pie`. Under v86,
 * i386 PIE code reads its own address through a call into another page for every
 * global it touches (12.6 % of dockerd's CPU in a `docker run`), and the CLI's
 * loader applies 116 000 relocations at every start.
 */
export const engineStep: Step = {
  name: 'engine',
  description: "dockerd and the docker CLI rebuilt from Debian's source without PIE",
  deps: ['rootfs'],
  sources: ['image-build/steps/engine.ts'],
  settings: { suite: GUEST_SUITE, buildmode: 'exe', format: 1 },
  async run(ctx: StepContext) {
    requireRoot('engine');
    requireTool('engine', '/usr/sbin/debootstrap', 'debootstrap');
    const version = await sourceVersion(ctx.input('rootfs'));
    const root = path.join(ctx.out, '.chroot');
    await debootstrapWithRetry(ctx, ['--arch=i386', '--variant=minbase', GUEST_SUITE, root, DEBIAN_MIRROR], (line) => {
      if (line.startsWith('I: ')) ctx.progress(`build chroot: ${line.slice(3)}`);
    });
    // The security archive first: deb.debian.org's main pool has been seen without a
    // security update's .dsc that its Sources index still lists (2026-12-06).
    await writeFile(path.join(root, 'etc/apt/sources.list'), [
      `deb-src ${DEBIAN_SECURITY_MIRROR} ${GUEST_SUITE}-security main`,
      `deb ${DEBIAN_MIRROR} ${GUEST_SUITE} main`,
      `deb-src ${DEBIAN_MIRROR} ${GUEST_SUITE} main`,
      '',
    ].join('\n'));
    let built = 0;
    await withChrootMounts(root, () => chroot(root, [
      'apt-get -q update',
      `apt-get -q -y --no-install-recommends build-dep docker.io=${version}`,
      'mkdir -p /build && cd /build',
      `apt-get -q source --download-only docker.io=${version}`,
      'dpkg-source -x *.dsc src',
      'cd src',
      // Files-Excluded (copies of libraries Debian packages separately) go first, as
      // dpkg-buildpackage would do; the engine's vendor tree would otherwise win.
      'debian/rules clean',
      // Make variables on the command line override the rules file's own
      // `-buildmode=pie`, here and in the sub-makes dh starts.
      `DEB_BUILD_OPTIONS="nocheck nodoc parallel=${cpus().length}" debian/rules build-arch ENGINE_BUILDMODE=-buildmode=exe CLI_BUILDMODE=-buildmode=exe`,
      'go version > /build/go-version.txt',
    ].join('\n'), {
      log: ctx.log,
      onLine: (line) => {
        const download = /^Get:(\d+) \S+ \S+ \S+ (\S+)/.exec(line);
        if (download) ctx.progress(`build dependencies: download ${download[1]} (${download[2]})`);
        else if (/^Setting up /.test(line)) ctx.progress(`build dependencies: ${line}`);
        // `go install -v` names each package it compiles.
        else if (/^[\w.-]+(\/[\w.@+-]+)+$/.test(line) && !line.endsWith('.go')) ctx.progress(`go: ${++built} packages compiled (${line})`);
      },
    }));
    const bin = path.join(root, 'build/src/_build/bin');
    for (const name of Object.keys(ENGINE_BINARIES)) {
      const from = path.join(bin, name);
      await assertPositionDependent(from);
      // What dh_strip would do for the .deb.
      await run('strip', ['--remove-section=.comment', '--remove-section=.note', '--strip-unneeded', '-o', path.join(ctx.out, name), from], { log: ctx.log });
    }
    const go = (await readFile(path.join(root, 'build/go-version.txt'), 'utf8')).trim().split(' ')[2];
    await writeFile(path.join(ctx.out, 'engine.txt'), `docker.io ${version} without PIE (${go})\n`);
    ctx.progress('removing the build chroot');
    await rm(root, { recursive: true, force: true });
  },
};

/** docker.io's source version, from the package the guest has (a binNMU's "+bN" names no source). */
async function sourceVersion(rootfsDir: string): Promise<string> {
  const versions = await readFile(path.join(rootfsDir, 'versions.txt'), 'utf8');
  const line = versions.split('\n').find((entry) => entry.startsWith('docker.io '));
  if (!line) throw new Error("the rootfs step's versions.txt names no docker.io package");
  return line.split(' ')[1]!.replace(/\+b\d+$/, '');
}

/** ELF e_type 2 (ET_EXEC): a PIE executable is type 3 (ET_DYN). */
async function assertPositionDependent(file: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    const header = Buffer.alloc(18);
    await handle.read(header, 0, 18, 0);
    if (header.readUInt16LE(16) !== 2) throw new Error(`${path.basename(file)} was built as PIE: Debian's rules no longer take ENGINE_BUILDMODE/CLI_BUILDMODE from the command line`);
  } finally {
    await handle.close();
  }
}
