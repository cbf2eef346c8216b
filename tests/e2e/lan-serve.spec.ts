// A classroom: `npm run serve` on the teacher's machine, a learner's browser on
// another host of the local network. Both hosts are network namespaces this
// test makes (we run as root), joined by a veth pair and nothing else, so the
// learner's browser (a second, fresh profile) reaches that server and no other:
// not this machine's loopback, not the internet.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, expect, test } from '@playwright/test';
import { labExec, waitForReady } from './helpers/lab';
import { buildSite, startSite, type SiteServer } from './helpers/site-server';

const MINUTE = 60_000;
const SERVER_NS = `dlab-srv-${process.pid}`;
const CLIENT_NS = `dlab-cli-${process.pid}`;
const VETH = `dlv${process.pid % 100000}`;
const SERVER_IP = '10.213.0.2';
const CLIENT_IP = '10.213.0.1';

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}

function makeNetwork(): void {
  ip('netns', 'add', SERVER_NS);
  ip('netns', 'add', CLIENT_NS);
  ip('link', 'add', `${VETH}s`, 'type', 'veth', 'peer', 'name', `${VETH}c`);
  ip('link', 'set', `${VETH}s`, 'netns', SERVER_NS);
  ip('link', 'set', `${VETH}c`, 'netns', CLIENT_NS);
  for (const [ns, dev, addr] of [
    [SERVER_NS, `${VETH}s`, SERVER_IP],
    [CLIENT_NS, `${VETH}c`, CLIENT_IP],
  ]) {
    ip('-n', ns, 'addr', 'add', `${addr}/30`, 'dev', dev);
    ip('-n', ns, 'link', 'set', dev, 'up');
    ip('-n', ns, 'link', 'set', 'lo', 'up');
  }
}

/** Whether a TCP connection to 127.0.0.1:port succeeds on this machine, or inside a namespace. */
function canConnect(ns: string | null, port: number): boolean {
  const probe = `require('node:net').connect(${port}, '127.0.0.1').on('connect', () => process.exit(0)).on('error', () => process.exit(3))`;
  const [cmd, args] = ns ? ['ip', ['netns', 'exec', ns, process.execPath, '-e', probe]] : [process.execPath, ['-e', probe]];
  try {
    execFileSync(cmd, args, { stdio: 'pipe', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

function removeNetwork(): void {
  for (const ns of [SERVER_NS, CLIENT_NS]) {
    try {
      ip('netns', 'del', ns);
    } catch {
      // Not created (setup failed early); the veth pair goes with its namespaces.
    }
  }
}

test('npm run serve: a second browser on another host of the LAN opens the lab from the printed address and runs docker', async () => {
  test.setTimeout(20 * MINUTE);
  buildSite();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-lan-'));
  let site: SiteServer | null = null;
  makeNetwork();
  try {
    site = await startSite({ netns: SERVER_NS, host: '0.0.0.0', port: 8080 });
    // The address the teacher reads out is the one the learner uses.
    expect(site.printed).toContain(`Network: http://${SERVER_IP}:8080/`);
    expect(site.url).toBe(`http://${SERVER_IP}:8080/`);

    // Chromium itself runs on the client host; Playwright drives it over a pipe, which crosses namespaces.
    const chromiumInNs = path.join(tmp, 'chromium-in-client-ns');
    fs.writeFileSync(chromiumInNs, `#!/bin/sh\nexec ip netns exec ${CLIENT_NS} /usr/bin/chromium "$@"\n`, { mode: 0o755 });
    const context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
      executablePath: chromiumInNs,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      page.on('pageerror', (err) => console.log(`[page error] ${err.message}`));
      await page.goto(site.url);

      // Only the classroom server is reachable from the learner's host: its one
      // route is the link to the server, and the dev server on this machine's loopback is not there.
      expect(execFileSync('ip', ['-n', CLIENT_NS, '-4', 'route'], { encoding: 'utf8' }).trim()).toMatch(/^10\.213\.0\.0\/30 dev \S+ proto kernel scope link src 10\.213\.0\.1\s*$/);
      expect(canConnect(null, 5173)).toBe(true);
      expect(canConnect(CLIENT_NS, 5173)).toBe(false);

      // Range requests and cache headers, as the learner's browser sees them.
      const ranged = await page.evaluate(async () => {
        const r = await fetch('guest/bios.bin', { headers: { Range: 'bytes=0-15' }, cache: 'no-store' });
        return { status: r.status, range: r.headers.get('content-range'), length: (await r.arrayBuffer()).byteLength, cache: r.headers.get('cache-control') };
      });
      expect(ranged).toMatchObject({ status: 206, length: 16, cache: 'no-cache' });
      expect(ranged.range).toMatch(/^bytes 0-15\/\d+$/);

      const start = await waitForReady(page);
      console.log(`[lab] LAN start from ${start.source} in ${(start.ms / 1000).toFixed(1)} s`);
      const r = await labExec(page, 'docker run --rm busybox echo hello-from-the-classroom', 5 * MINUTE);
      expect(r).toMatchObject({ exitCode: 0, stdout: 'hello-from-the-classroom\n' });

      // Plain http on a LAN address is not a secure context: the lab says so instead of pretending to be offline-ready.
      await expect(page.locator('lab-offline')).toHaveAttribute('state', 'unavailable');
      await expect(page.locator('lab-offline .summary')).toContainText(`this one comes from http://${SERVER_IP}:8080`);

      // A learner's work is saved in their own browser even over plain http.
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await expect(page.locator('lab-notices [data-notice="message"]')).toContainText('Saved (', { timeout: 5 * MINUTE });
    } finally {
      await context.close();
    }
  } finally {
    await site?.stop();
    removeNetwork();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
