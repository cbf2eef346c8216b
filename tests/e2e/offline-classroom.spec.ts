// The lab, opened once from the built site and made available offline, starts
// again with the network gone (the server process stopped and the browser
// context offline) and builds and runs Containers 101's todo-api in the real
// guest. Also prints the figures for the bench: offline size and download time.

import fs from 'node:fs';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import type { DockerLab } from '../../web/components/docker-lab';
import { labExec, openLab, waitForReady, waitForServiceWorker } from './helpers/lab';
import { ROOT, buildSite, startSite } from './helpers/site-server';

const LESSON_FILES = path.join(ROOT, 'lessons/containers-101/files');
const MINUTE = 60_000;

async function writeGuestFile(page: Page, guestPath: string, text: string): Promise<void> {
  await page.evaluate(
    ([p, t]) => {
      const vm = (document.querySelector('docker-lab') as DockerLab).vm;
      if (!vm) throw new Error('the lab has no VM');
      return vm.writeFile(p, t);
    },
    [guestPath, text] as const,
  );
}

async function cacheNames(page: Page): Promise<string[]> {
  return page.evaluate(() => caches.keys());
}

test('made available offline, the lab starts with the network cut and builds and runs the todo-api', async ({ browser }) => {
  test.setTimeout(45 * MINUTE);
  buildSite();
  const site = await startSite();
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await openLab(page, site.url);
    await waitForReady(page);
    await waitForServiceWorker(page);

    const offline = page.locator('lab-offline');
    await expect(offline).toHaveAttribute('state', 'not-ready');
    await expect(offline.getByRole('status')).toHaveText('Not ready offline');
    await expect(offline.locator('[data-storage]')).toContainText(/Storage: [\d.]+ MB used of [\d.]+ MB/);

    const make = offline.getByRole('button', { name: /^Make available offline \(\d+ MB\)$/ });
    const label = (await make.textContent())?.trim();
    const started = Date.now();
    await make.click();
    await expect(offline).toHaveAttribute('state', 'downloading');
    await expect(offline.locator('[data-bytes]')).toContainText(/^[\d.]+ of [\d.]+ MB$/);
    await expect(offline).toHaveAttribute('state', 'ready', { timeout: 20 * MINUTE });
    const seconds = (Date.now() - started) / 1000;
    await expect(offline.getByRole('status')).toHaveText('Ready offline');
    const result = (await offline.locator('[data-result="done"]').textContent())?.replace(/\s+/g, ' ').trim();
    const totalMb = Number(/([\d.]+) MB \(/.exec(result ?? '')?.[1]);
    console.log(`[bench] offline download: button "${label}"; ${result}; wall ${seconds.toFixed(1)} s from the local server`);
    console.log(`[bench] offline_total_mb=${totalMb} offline_download_s=${seconds.toFixed(1)}`);
    expect(totalMb).toBeGreaterThan(0);
    const buildId = await page.evaluate(() => (document.querySelector('docker-lab') as DockerLab).lastStart?.guestBuildId);
    expect(await cacheNames(page)).toContain(`docker-lab-guest-${buildId}`);

    // Cut the network: the server is gone and the browser is offline.
    await site.stop();
    await context.setOffline(true);
    const unreachable = await page.evaluate((url) => fetch(url, { cache: 'no-store', headers: { 'x-lab-offline-download': '1' } }).then(() => 'reached', () => 'unreachable'), new URL('guest/manifest.json', site.url).href);
    expect(unreachable).toBe('unreachable');

    await page.reload();
    const start = await waitForReady(page);
    console.log(`[lab] offline start from ${start.source} in ${(start.ms / 1000).toFixed(1)} s`);
    expect(start.guestBuildId).toBe(buildId);
    await expect(offline).toHaveAttribute('state', 'ready');

    for (const name of fs.readdirSync(LESSON_FILES)) {
      await writeGuestFile(page, `/root/containers-101/${name}`, fs.readFileSync(path.join(LESSON_FILES, name), 'utf8'));
    }
    const build = await labExec(page, 'cd /root/containers-101 && docker build -t todo-api:v0.1 . 2>&1', 15 * MINUTE);
    expect(build.exitCode, build.stdout.slice(-2000)).toBe(0);
    expect(build.stdout).toMatch(/todo-api:v0\.1/);
    console.log(`[lab] offline docker build of the todo-api: ${(build.ms / 1000).toFixed(1)} s`);

    const run = await labExec(page, 'docker run -d --name todo -p 8080:8080 todo-api:v0.1', 5 * MINUTE);
    expect(run.exitCode, run.stderr).toBe(0);
    await expect
      .poll(async () => (await labExec(page, 'curl -sf http://localhost:8080/todos', 30_000)).exitCode, { timeout: 5 * MINUTE, intervals: [3000] })
      .toBe(0);
    const post = await labExec(page, `curl -s -X POST -H 'Content-Type: application/json' -d '{"task":"learn K8s"}' http://localhost:8080/todos`, 60_000);
    expect(post.stdout).toContain('"result":"added"');
    const list = await labExec(page, 'curl -s http://localhost:8080/todos', 60_000);
    expect(JSON.parse(list.stdout)).toEqual(['learn K8s']);
    console.log(`[lab] offline todo-api answered: ${list.stdout.trim()}`);
  } finally {
    await context.close();
    await site.stop();
  }
});
