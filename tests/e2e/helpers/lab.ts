// Driving the real lab in a real browser: no fake VM anywhere. Everything goes
// through the <docker-lab> element's public surface (phase, lastStart, vm,
// terminalText) and through the keyboard. Where a lab is embedded, pass its Frame.

import fs from 'node:fs';
import path from 'node:path';
import { expect, type Frame, type Page } from '@playwright/test';
import type { DockerLab } from '../../../web/components/docker-lab';
import type { ExecResult, StartResult } from '../../../workers/protocol';

const MANIFEST = path.resolve(import.meta.dirname, '../../../build/guest/out/manifest.json');

/** Boots can take minutes on a 2-core machine, more for a cold boot. */
export const READY_TIMEOUT_MS = 8 * 60_000;

/** The e2e specs need the real guest; without it they fail loudly, never skip. */
export function requireGuestArtifacts(): void {
  if (!fs.existsSync(MANIFEST)) {
    throw new Error(
      `The guest artifacts are missing: ${path.relative(process.cwd(), MANIFEST)} does not exist. ` +
        'These end-to-end tests boot the real guest; build it first with `npm run build:guest`.',
    );
  }
}

export async function openLab(page: Page, url = '/'): Promise<void> {
  requireGuestArtifacts();
  page.on('pageerror', (err) => console.log(`[page error] ${err.message}`));
  await page.goto(url);
  await page.waitForFunction(() => customElements.get('docker-lab') !== undefined);
}

interface LabSnapshot {
  phase: string;
  error: string | null;
  detail: string;
}

/** Waits until the page is controlled by the built site's service worker (it caches the guest from then on). */
export async function waitForServiceWorker(page: Page, timeoutMs = 2 * 60_000): Promise<void> {
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: timeoutMs });
}

/** Waits until the lab says ready; fails at once with the lab's own words if it reports an error. */
export async function waitForReady(page: Page | Frame, timeoutMs = READY_TIMEOUT_MS): Promise<StartResult> {
  const deadline = Date.now() + timeoutMs;
  let lastDetail = '';
  for (;;) {
    const s = await page.evaluate((): LabSnapshot => {
      const lab = document.querySelector('docker-lab') as DockerLab | null;
      const notice = lab?.shadowRoot?.querySelector('lab-notices')?.shadowRoot?.querySelector('[data-notice="error"]');
      const status = lab?.shadowRoot?.querySelector('lab-status-bar')?.shadowRoot?.querySelector('[role="status"]');
      return {
        phase: lab?.phase ?? 'missing',
        error: notice?.textContent?.trim() ?? null,
        detail: status?.textContent?.replace(/\s+/g, ' ').trim() ?? '',
      };
    });
    if (s.detail !== lastDetail) {
      console.log(`[lab] ${s.detail}`);
      lastDetail = s.detail;
    }
    if (s.error || s.phase === 'error') throw new Error(`The lab failed to start: ${s.error ?? s.detail}`);
    if (s.phase === 'ready') {
      const start = await page.evaluate(() => (document.querySelector('docker-lab') as DockerLab).lastStart);
      if (start) return start;
    }
    if (Date.now() > deadline) throw new Error(`The lab was not ready after ${timeoutMs / 1000} s (last: ${s.detail})`);
    await page.waitForTimeout(1000);
  }
}

/** Types into the xterm as a learner would, then presses Enter. */
export async function typeCommand(page: Page, command: string): Promise<void> {
  await page.locator('lab-terminal .xterm').click();
  await page.keyboard.type(command, { delay: 20 });
  await page.keyboard.press('Enter');
}

export async function terminalText(page: Page | Frame): Promise<string> {
  return page.evaluate(() => (document.querySelector('docker-lab') as DockerLab).terminalText());
}

export async function expectTerminal(page: Page | Frame, pattern: RegExp, timeoutMs = 120_000): Promise<void> {
  await expect
    .poll(() => terminalText(page), { timeout: timeoutMs, message: `terminal should show ${pattern}` })
    .toMatch(pattern);
}

export async function labExec(page: Page | Frame, command: string, timeoutMs?: number): Promise<ExecResult> {
  return page.evaluate(
    ([cmd, t]) => {
      const vm = (document.querySelector('docker-lab') as DockerLab).vm;
      if (!vm) throw new Error('the lab has no VM');
      return vm.exec(cmd, t === undefined ? undefined : { timeoutMs: t });
    },
    [command, timeoutMs] as const,
  );
}
