// The built site as an installable app whose shell survives without a network.
// No lab work here (offline-classroom.spec.ts does that): the page is left as
// soon as the service worker has done its part.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, expect, test } from '@playwright/test';
import { waitForServiceWorker } from './helpers/lab';
import { buildSite, startSite } from './helpers/site-server';

test('the built site is installable, and its pages load from the service worker with the network cut', async () => {
  test.setTimeout(5 * 60_000);
  buildSite();
  const site = await startSite();
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-profile-'));
  // A persistent profile: Chromium never offers to install from an incognito one.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(site.url);
    await waitForServiceWorker(page, 60_000);

    const cdp = await context.newCDPSession(page);
    const manifest = await cdp.send('Page.getAppManifest');
    expect(manifest.errors).toEqual([]);
    expect(manifest.url).toBe(new URL('manifest.webmanifest', site.url).href);
    expect(JSON.parse(manifest.data ?? '{}')).toMatchObject({ name: 'Docker lab', display: 'standalone' });
    expect((await cdp.send('Page.getInstallabilityErrors')).installabilityErrors).toEqual([]);

    await site.stop();
    await context.setOffline(true);
    for (const url of [site.url, new URL('embed.html?lesson=hello-lab', site.url).href]) {
      await page.goto(url);
      await page.waitForFunction(() => customElements.get('docker-lab') !== undefined, null, { timeout: 30_000 });
      await expect(page.locator('lab-offline')).toHaveAttribute('state', /ready|not-ready/);
    }
  } finally {
    await context.close();
    await site.stop();
    fs.rmSync(profile, { recursive: true, force: true });
  }
});
