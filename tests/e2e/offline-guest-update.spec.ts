// A guest build update as a learner meets it: the lab was used (and saved)
// with build A; the server is then redeployed with build B. The "new build"
// here is simulated: the same guest files served under another buildId in
// manifest.json (a real rebuild takes an hour). The service worker must drop
// A's offline copy, and the lab must say what happened to the learner's save.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import type { DockerLab } from '../../web/components/docker-lab';
import type { VmStatus } from '../../workers/protocol';
import { openLab, waitForReady, waitForServiceWorker } from './helpers/lab';
import { ROOT, buildSite, linkedCopyOfSite, startSite } from './helpers/site-server';

const MINUTE = 60_000;

function guestCaches(page: Page): Promise<string[]> {
  return page.evaluate(async () => (await caches.keys()).filter((n) => n.startsWith('docker-lab-guest-')));
}

function cachedFileCount(page: Page, name: string): Promise<number> {
  return page.evaluate(async (n) => (await (await caches.open(n)).keys()).length, name);
}

function vmStatus(page: Page): Promise<VmStatus> {
  return page.evaluate(() => {
    const vm = (document.querySelector('docker-lab') as DockerLab).vm;
    if (!vm) throw new Error('the lab has no VM');
    return vm.status();
  });
}

test('a new guest build (simulated: same files, another buildId) replaces the offline copy; the older save is kept and explained', async ({ browser }) => {
  test.setTimeout(30 * MINUTE);
  buildSite();
  const siteB = linkedCopyOfSite(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lab-site-b-')), 'site'));
  const manifestA = JSON.parse(fs.readFileSync(path.join(ROOT, 'dist/guest/manifest.json'), 'utf8')) as { buildId: string };
  const buildA = manifestA.buildId;
  const buildB = `${buildA}-next`;
  // rm first: the copy is hard links, and dist/ must keep build A's manifest.
  fs.rmSync(path.join(siteB, 'guest/manifest.json'));
  fs.writeFileSync(path.join(siteB, 'guest/manifest.json'), JSON.stringify({ ...manifestA, buildId: buildB }, null, 2));

  let site = await startSite();
  const port = new URL(site.url).port;
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await openLab(page, site.url);
    await waitForReady(page);
    await waitForServiceWorker(page);
    // The VM worker waited for the service worker, so even this first visit cached what it read.
    expect(await cachedFileCount(page, `docker-lab-guest-${buildA}`)).toBeGreaterThan(1);

    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(page.locator('lab-notices [data-notice="message"]')).toContainText('Saved (', { timeout: 5 * MINUTE });
    expect((await vmStatus(page)).savedState?.guestBuildId).toBe(buildA);

    // A second visit under the service worker: the resume reads disk parts through it into A's cache.
    await page.reload();
    expect((await waitForReady(page)).source).toBe('saved');
    expect(await guestCaches(page)).toEqual([`docker-lab-guest-${buildA}`]);
    const filesOfA = await cachedFileCount(page, `docker-lab-guest-${buildA}`);
    console.log(`[lab] build ${buildA}: ${filesOfA} entries cached lazily`);
    expect(filesOfA).toBeGreaterThan(1);

    // Redeploy: same origin, the server now has build B.
    await site.stop();
    site = await startSite({ dir: siteB, port: Number(port) });
    await page.reload();
    const start = await waitForReady(page);
    expect(start.guestBuildId).toBe(buildB);
    expect(start.source).not.toBe('saved');

    const refused = page.locator('lab-notices [data-notice="refused"]');
    await expect(refused).toContainText(`from another version of the lab machine (${buildA}, this one is ${buildB})`);
    await expect(refused).toContainText('nothing was deleted');

    const replaced = page.locator('lab-offline [data-notice="guest-replaced"]');
    await expect(replaced).toContainText(`(${buildA} → ${buildB})`);
    await expect(replaced).toContainText(/The offline copy of the old\s+version \(\d+ files\) was removed/);
    expect(await guestCaches(page)).toEqual([`docker-lab-guest-${buildB}`]);
    await expect(page.locator('lab-offline')).toHaveAttribute('state', 'not-ready');

    // Nothing silently lost: the save from A is still there and can be exported.
    expect((await vmStatus(page)).savedState?.guestBuildId).toBe(buildA);
    const exported = await page.evaluate(async () => (await (document.querySelector('docker-lab') as DockerLab).vm!.exportState()).length);
    expect(exported).toBeGreaterThan(1000);

    await replaced.getByRole('button', { name: 'OK' }).click();
    await expect(replaced).toHaveCount(0);
    await page.reload();
    await expect(page.locator('lab-offline')).toHaveAttribute('state', /not-ready|checking/);
    await expect(page.locator('lab-offline [data-notice="guest-replaced"]')).toHaveCount(0);
  } finally {
    await context.close();
    await site.stop();
    fs.rmSync(path.dirname(siteB), { recursive: true, force: true });
  }
});
