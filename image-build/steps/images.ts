import { copyFile, cp, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CATALOG } from '../catalog.ts';
import { run } from '../lib/exec.ts';
import { withChrootMounts } from '../lib/chroot.ts';
import { requireRoot } from '../lib/host.ts';
import { NativeDocker } from '../lib/native-docker.ts';
import { keepCatalogLayers } from '../lib/layer-store.ts';
import { RegistryPusher } from '../lib/registry-push.ts';
import { mb } from '../lib/units.ts';
import { IMAGES_SRC, GUEST_ROOTFS_SRC } from '../lib/paths.ts';
import type { Step, StepContext } from '../pipeline.ts';

/**
 * Builds the catalog with the guest's own Docker, pushes every tag to the guest's
 * registry (uncompressed layers, see registry-push.ts) and pulls it back through the
 * registry mirror, so images carry real repo digests and `docker pull nginx` works
 * offline; then keeps the layers in the lab's layer store, which serves the
 * registry's layer blobs from Docker's own files (layer-store.ts). Output: docker/
 * (becomes /var/lib/docker), registry/ (/var/lib/docker-registry), layers/
 * (/var/lib/lab/layers) and catalog.json.
 */
export const imagesStep: Step = {
  name: 'images',
  description: `offline image catalog (${CATALOG.map((entry) => entry.tags[0]).join(', ')})`,
  deps: ['rootfs', 'imgsrc'],
  sources: ['image-build/steps/images.ts', 'image-build/lib/native-docker.ts', 'image-build/lib/registry-push.ts', 'image-build/lib/layer-store.ts', 'image-build/catalog.ts', 'image-build/images',
    'guest-rootfs/files/etc/docker/registry/config.yml', 'guest-rootfs/files/etc/containerd/config.toml'],
  settings: { format: 3 },
  async run(ctx: StepContext) {
    requireRoot('images');
    const lower = path.join(ctx.input('rootfs'), 'rootfs');
    const work = path.join(ctx.out, '.work');
    const merged = path.join(work, 'merged');
    for (const dir of ['upper', 'work', 'merged', 'tmp']) await mkdir(path.join(work, dir), { recursive: true });
    const dockerData = path.join(ctx.out, 'docker');
    const registryData = path.join(ctx.out, 'registry');
    const containerdData = path.join(work, 'containerd');
    for (const dir of [dockerData, registryData, containerdData]) await mkdir(dir, { recursive: true });

    // An overlay keeps the cached root filesystem untouched by the build daemons.
    await run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${work}/upper,workdir=${work}/work`, merged]);
    try {
      for (const file of ['etc/docker/registry/config.yml', 'etc/containerd/config.toml']) {
        await copyFile(path.join(GUEST_ROOTFS_SRC, 'files', file), path.join(merged, file));
      }
      await copyFile('/etc/resolv.conf', path.join(merged, 'etc/resolv.conf'));
      await withChrootMounts(merged, () => buildCatalog(ctx, merged), [
        [dockerData, 'var/lib/docker'], [registryData, 'var/lib/docker-registry'],
        [containerdData, 'var/lib/containerd'], [path.join(work, 'tmp'), 'tmp'],
      ]);
    } finally {
      await run('umount', ['-l', merged], { allowFailure: true });
    }
    // The guest's dockerd makes its own bridge network at first start.
    await rm(path.join(dockerData, 'network'), { recursive: true, force: true });
    await rm(path.join(dockerData, 'tmp'), { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
    ctx.progress('keeping the catalog\'s layers in the lab\'s layer store');
    const kept = await keepCatalogLayers(dockerData, registryData, path.join(ctx.out, 'layers'));
    ctx.progress(`${kept.layers} layers (${kept.files} files linked, ${mb(kept.tarBytes)} of tars) checked against their diff ids; `
      + `${kept.placeholders} registry blobs (${mb(kept.placeholderBytes)}) now served from the store`);
  },
};

async function buildCatalog(ctx: StepContext, root: string) {
  const docker = new NativeDocker(root, ctx.log);
  ctx.progress('starting the build-time dockerd');
  await docker.start();
  try {
    for (const entry of CATALOG) {
      const context = path.join(root, 'tmp/context', entry.dir);
      await cp(path.join(IMAGES_SRC, entry.dir), context, { recursive: true });
      if (entry.rootfs) await copyFile(path.join(ctx.input('imgsrc'), entry.rootfs), path.join(context, 'rootfs.tar'));
      for (const file of entry.files ?? []) await copyFile(path.join(ctx.input('imgsrc'), file), path.join(context, file));
      ctx.progress(`building ${entry.tags[0]}`);
      const tags = entry.tags.map((tag) => `-t ${tag}`).join(' ');
      await docker.docker(`docker build ${entry.network ? '--network host' : ''} ${tags} /tmp/context/${entry.dir}`);
    }
    const saves = path.join(root, 'tmp/save');
    const pusher = new RegistryPusher('http://127.0.0.1:5000');
    for (const entry of CATALOG) {
      ctx.progress(`pushing ${entry.tags[0]} to the lab registry`);
      const unpacked = path.join(saves, entry.dir);
      await mkdir(unpacked, { recursive: true });
      await docker.docker(`docker save ${entry.tags[0]} | tar -x -C /tmp/save/${entry.dir}`);
      await pusher.push(unpacked, entry.tags);
      await rm(unpacked, { recursive: true });
    }
    await rm(saves, { recursive: true });
    ctx.progress('pulling the catalog back through the registry mirror');
    const catalog: Array<{ ref: string; digest: string; size: number }> = [];
    const allTags = CATALOG.flatMap((entry) => entry.tags);
    await docker.docker(`docker rmi ${allTags.join(' ')} >/dev/null && docker builder prune -af >/dev/null`);
    for (const tag of allTags) {
      await docker.docker(`docker pull -q ${tag} >/dev/null`);
      const inspect = await docker.docker(`docker image inspect --format '{{index .RepoDigests 0}} {{.Size}}' ${tag}`, false, true);
      const [repoDigest, size] = inspect.stdout.trim().split(' ');
      catalog.push({ ref: tag, digest: repoDigest!.split('@')[1]!, size: Number(size) });
    }
    await writeFile(path.join(ctx.out, 'catalog.json'), `${JSON.stringify(catalog, null, 2)}\n`);
  } finally {
    await docker.stop();
  }
}
