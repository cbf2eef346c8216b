import { link, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CatalogImage } from '../../workers/guest-manifest.ts';
import { artifact, layOutGuest } from '../lib/release-layout.ts';
import type { Step, StepContext } from '../pipeline.ts';
import type { DiskUsage } from './disk-usage.ts';
import type { SnapshotInfo } from './snapshot.ts';

/**
 * The release the site serves at /guest/: boot files, disk parts, the ready
 * snapshot and manifest.json. The CLI points build/guest/out at it once complete.
 */
export const publishStep: Step = {
  name: 'publish',
  description: 'guest release with manifest.json',
  deps: ['rootfs', 'engine', 'kernel', 'initramfs', 'images', 'disk', 'snapshot', 'disk-usage'],
  sources: ['image-build/steps/publish.ts', 'image-build/lib/release-layout.ts'],
  settings: { format: 1 },
  async run(ctx: StepContext) {
    const manifest = await layOutGuest(ctx.out, {
      kernelDir: ctx.input('kernel'), initramfsDir: ctx.input('initramfs'), diskDir: ctx.input('disk'),
    });
    const snapshotDir = ctx.input('snapshot');
    const snapshot = JSON.parse(await readFile(path.join(snapshotDir, 'snapshot.json'), 'utf8')) as SnapshotInfo;
    if (snapshot.buildId !== manifest.buildId) {
      throw new Error(`the snapshot was made for guest build ${snapshot.buildId}, not ${manifest.buildId}`);
    }
    await link(path.join(snapshotDir, 'state.bin.zst'), path.join(ctx.out, 'state.bin.zst'));
    manifest.snapshot = { ...(await artifact(ctx.out, 'state.bin.zst')), rawSize: snapshot.rawSize };
    const usage = JSON.parse(await readFile(path.join(ctx.input('disk-usage'), 'disk-usage.json'), 'utf8')) as DiskUsage;
    if (usage.buildId !== manifest.buildId) throw new Error(`the disk usage was recorded for guest build ${usage.buildId}, not ${manifest.buildId}`);
    manifest.disk.prefetch = usage.parts;
    manifest.images = JSON.parse(await readFile(path.join(ctx.input('images'), 'catalog.json'), 'utf8')) as CatalogImage[];
    const packages = await readFile(path.join(ctx.input('rootfs'), 'versions.txt'), 'utf8');
    for (const line of packages.trim().split('\n')) {
      const [name, version] = line.split(' ');
      if (name && version) manifest.versions[name] = version;
    }
    manifest.versions.engine = (await readFile(path.join(ctx.input('engine'), 'engine.txt'), 'utf8')).trim();
    manifest.versions.kernel = (await readFile(path.join(ctx.input('kernel'), 'kernel-version.txt'), 'utf8')).trim();
    await writeFile(path.join(ctx.out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  },
};
