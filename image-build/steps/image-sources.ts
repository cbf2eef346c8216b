import { chmod, mkdir, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DEBIAN_MIRROR, IMAGE_SUITE } from '../config.ts';
import { aptDownloadI386 } from '../lib/apt-download.ts';
import { debootstrapWithRetry } from '../lib/debootstrap.ts';
import { run } from '../lib/exec.ts';
import { requireRoot } from '../lib/host.ts';
import { IMAGES_SRC } from '../lib/paths.ts';
import type { Step, StepContext } from '../pipeline.ts';

const DEBIAN_TRIM = [
  'usr/share/doc', 'usr/share/man', 'usr/share/info', 'usr/share/lintian', 'var/cache/apt',
  'var/lib/apt/lists', 'var/log/bootstrap.log', 'var/log/dpkg.log', 'var/log/apt',
];

/** Root filesystems that the catalog's FROM-scratch images ADD: Debian minbase, busybox, hello. */
export const imageSourcesStep: Step = {
  name: 'imgsrc',
  description: `root filesystems for the base images (Debian ${IMAGE_SUITE} i386 minbase, busybox, hello-world)`,
  deps: [],
  sources: ['image-build/steps/image-sources.ts', 'image-build/images/hello-world/hello.c'],
  settings: { suite: IMAGE_SUITE, format: 1 },
  async run(ctx: StepContext) {
    requireRoot('imgsrc');
    await debianMinbase(ctx);
    await busybox(ctx);
    ctx.progress('compiling hello-world');
    await run('gcc', ['-m32', '-static', '-Os', '-s', '-o', path.join(ctx.out, 'hello'), path.join(IMAGES_SRC, 'hello-world/hello.c')], { log: ctx.log })
      .catch((err: Error) => { throw new Error(`${err.message}: is gcc-multilib installed?`, { cause: err }); });
  },
};

async function debianMinbase(ctx: StepContext) {
  const root = path.join(ctx.out, 'debian-root');
  await debootstrapWithRetry(ctx, ['--arch=i386', '--variant=minbase', IMAGE_SUITE, root, DEBIAN_MIRROR],
    (line) => line.startsWith('I: ') && ctx.progress(`debian base: ${line.slice(3)}`));
  for (const entry of DEBIAN_TRIM) await rm(path.join(root, entry), { recursive: true, force: true });
  await run('find', [path.join(root, 'usr/share/locale'), '-mindepth', '1', '-maxdepth', '1', '!', '-name', 'locale.alias', '-exec', 'rm', '-rf', '{}', '+']);
  await mkdir(path.join(root, 'var/lib/apt/lists/partial'), { recursive: true });
  await mkdir(path.join(root, 'var/cache/apt/archives/partial'), { recursive: true });
  // Like the official image: no package caches left behind in layers, no translations fetched.
  await writeFile(path.join(root, 'etc/apt/apt.conf.d/docker-clean'),
    'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };\n' +
    'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };\n' +
    'Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";\n');
  await writeFile(path.join(root, 'etc/apt/apt.conf.d/docker-no-languages'), 'Acquire::Languages "none";\n');
  await writeFile(path.join(root, 'etc/resolv.conf'), '');
  await writeFile(path.join(root, 'etc/hostname'), '');
  await run('tar', ['--numeric-owner', '--xattrs', '-C', root, '-cf', path.join(ctx.out, 'debian.tar'), '.'], { log: ctx.log });
  await rm(root, { recursive: true, force: true });
}

async function busybox(ctx: StepContext) {
  ctx.progress('busybox');
  const debs = path.join(ctx.out, '.debs');
  await aptDownloadI386(ctx, IMAGE_SUITE, ['busybox-static'], debs);
  const deb = (await readdir(debs)).find((name) => name.startsWith('busybox-static_'))!;
  const extracted = path.join(ctx.out, '.busybox');
  await run('dpkg-deb', ['-x', path.join(debs, deb), extracted]);
  const root = path.join(ctx.out, 'busybox-root');
  for (const dir of ['bin', 'etc', 'root', 'tmp', 'var/www', 'usr/bin', 'usr/sbin', 'sbin', 'home', 'proc', 'sys', 'dev']) {
    await mkdir(path.join(root, dir), { recursive: true });
  }
  await run('cp', [path.join(extracted, 'bin/busybox'), path.join(root, 'bin/busybox')]);
  await chmod(path.join(root, 'tmp'), 0o1777);
  // The i386 binary runs on the amd64 build host, so it can list its own applets.
  const applets = await run(path.join(root, 'bin/busybox'), ['--list'], { capture: true });
  for (const applet of applets.stdout.split('\n').filter((name) => name && name !== 'busybox')) {
    await symlink('busybox', path.join(root, 'bin', applet)).catch(() => undefined);
  }
  await writeFile(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  await writeFile(path.join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  await run('tar', ['--numeric-owner', '-C', root, '-cf', path.join(ctx.out, 'busybox.tar'), '.']);
  for (const tmp of [root, extracted, debs, path.join(ctx.out, '.apt')]) await rm(tmp, { recursive: true, force: true });
}
