// A first visit to the built site fetches ahead, in the background, the disk
// parts that Docker's first commands read (the build's disk-usage step lists
// them), into the guest build's offline cache. Proof that the list and the
// cache are right: those commands (`docker run`, `-p` with an HTTP answer, a
// two-step build) then find nearly every part they read in the cache. (Not all:
// what read-ahead brings in depends on what the page cache holds already, so a
// read can reach into a neighbouring part the build's run never touched.)

import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import type { DockerLab } from '../../web/components/docker-lab';
import type { GuestManifest } from '../../workers/guest-manifest';
import { diskPartPath } from '../../workers/disk-parts';
import { labExec, openLab, waitForReady } from './helpers/lab';
import { ROOT, buildSite, startSite } from './helpers/site-server';

const MINUTE = 60_000;

test("a first visit fetches ahead what Docker's first commands read, and those commands find them cached", async ({ browser }) => {
  test.setTimeout(30 * MINUTE);
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'build/guest/out/manifest.json'), 'utf8')) as GuestManifest;
  const prefetch = manifest.disk.prefetch ?? [];
  expect(prefetch.length, 'the guest build lists the parts to fetch ahead').toBeGreaterThan(0);
  buildSite();
  const site = await startSite();
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await openLab(page, site.url);
    const start = await waitForReady(page);
    expect(start.source).toBe('snapshot');

    await page.waitForFunction(
      () => {
        const p = (document.querySelector('docker-lab') as DockerLab).status?.diskPrefetch;
        return p != null && (p.done === p.parts || p.stoppedBy !== null);
      },
      null,
      { timeout: 15 * MINUTE, polling: 1000 },
    );
    const progress = await page.evaluate(() => (document.querySelector('docker-lab') as DockerLab).status?.diskPrefetch);
    expect(progress).toMatchObject({ parts: prefetch.length, done: prefetch.length, stoppedBy: null });
    console.log(`[lab] prefetched ${progress?.parts} parts, ${((progress?.fetchedBytes ?? 0) / 1048576).toFixed(1)} MB`);

    const urls = prefetch.map((index) => new URL(`guest/${diskPartPath(manifest.disk, index)}`, site.url).href);
    const missing = await page.evaluate(async ([name, list]) => {
      const cache = await caches.open(name);
      const absent: string[] = [];
      for (const url of list) if (!(await cache.match(url))) absent.push(url);
      return absent;
    }, [`docker-lab-guest-${manifest.buildId}`, urls] as const);
    expect(missing, 'every prefetched part is in the offline cache').toEqual([]);

    // The same commands now find their parts cached: the build's cache gains (almost) none.
    const cachedParts = () => page.evaluate(async (name) => (await (await caches.open(name)).keys()).filter((r) => /\/disk\/rootfs-\d+-\d+\.img\.zst$/.test(r.url)).length, `docker-lab-guest-${manifest.buildId}`);
    const before = await cachedParts();
    const run = await labExec(page, 'docker run --rm busybox echo hi', 5 * MINUTE);
    expect(run).toMatchObject({ exitCode: 0, stdout: 'hi\n', timedOut: false });
    const web = await labExec(page, 'docker run -d --name prefetched-web -p 8097:80 nginx >/dev/null && for i in $(seq 120); do curl -sf http://localhost:8097/ && exit 0; sleep 0.5; done; exit 1', 5 * MINUTE);
    expect(web.exitCode, web.stderr).toBe(0);
    expect(web.stdout).toContain('Welcome to nginx');
    const build = await labExec(page, 'mkdir -p /tmp/prefetched && cd /tmp/prefetched && printf "FROM busybox\\nRUN echo built > /built\\n" > Dockerfile && docker build -t prefetched . 2>&1 && docker run --rm prefetched cat /built', 10 * MINUTE);
    expect(build.exitCode, build.stdout.slice(-2000)).toBe(0);
    expect(build.stdout).toMatch(/built\s*$/);
    const fetchedByCommands = (await cachedParts()) - before;
    console.log(`[lab] the commands fetched ${fetchedByCommands} parts that were not cached (${before} cached before them)`);
    expect(fetchedByCommands).toBeLessThan(prefetch.length / 20);
  } finally {
    await context.close();
    await site.stop();
  }
});
