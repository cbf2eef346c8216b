import { expect, test, type Page } from '@playwright/test';
import type { DockerLab } from '../../web/components/docker-lab';
import type { SaveResult } from '../../workers/protocol';
import { labExec, openLab, waitForReady } from './helpers/lab';

const PROOF = '/root/autosave-proof.txt';

/** The save shown in the status bar ("Saving…", "Saved just now"), or null. */
async function saveText(page: Page): Promise<string | null> {
  return page.evaluate(() => {
    const bar = document.querySelector('docker-lab')?.shadowRoot?.querySelector('lab-status-bar');
    return bar?.shadowRoot?.querySelector('[data-save]')?.textContent?.trim() ?? null;
  });
}

async function savedAt(page: Page): Promise<string | null> {
  return page.evaluate(async () => (await (document.querySelector('docker-lab') as DockerLab).vm?.status())?.savedState?.savedAt ?? null);
}

/**
 * Headless Chromium never hides a page by itself, so the test tells the page
 * what the browser tells it when the learner switches tabs: visibilityState
 * becomes "hidden" and visibilitychange fires.
 */
async function hidePage(page: Page): Promise<void> {
  await page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
    document.dispatchEvent(new Event('visibilitychange'));
  });
}

test('a save is fast enough to measure, and hiding the page saves the lab', async ({ page }) => {
  test.setTimeout(20 * 60_000);
  await openLab(page);
  await waitForReady(page);

  // Where the time of an explicit save goes, for the README (reported, not asserted).
  const timed = await page.evaluate(() => (document.querySelector('docker-lab') as DockerLab).vm!.save() as Promise<SaveResult>);
  console.log(`[save] ok=${timed.ok} ${timed.ms} ms, ${((timed.info?.bytes ?? 0) / 1048576).toFixed(1)} MB stored, phases ${JSON.stringify(timed.timings)}`);
  expect(timed.error).toBeUndefined();
  expect(timed.ok).toBe(true);
  await expect.poll(() => saveText(page)).toBe('Saved just now');
  const first = await savedAt(page);

  const token = `autosave-${Date.now()}`;
  expect((await labExec(page, `echo ${token} > ${PROOF} && sync`)).exitCode).toBe(0);

  await hidePage(page);
  await expect.poll(() => savedAt(page), { timeout: 5 * 60_000 }).not.toBe(first);
  await expect.poll(() => saveText(page)).toBe('Saved just now');

  await page.reload();
  const resumed = await waitForReady(page);
  expect(resumed.source).toBe('saved');
  // Where the resume's wait went (the bench prints these): each part after the one it needs.
  const at = Object.fromEntries(resumed.milestones.map((m) => [m.name, m.at]));
  expect(Object.keys(at).sort()).toEqual(['agent-answered', 'emulator-loaded', 'emulator-started', 'manifest', 'saved-read', 'start-called', 'worker-created']);
  for (const [before, after] of [['worker-created', 'start-called'], ['start-called', 'manifest'], ['start-called', 'saved-read'],
    ['saved-read', 'emulator-loaded'], ['emulator-loaded', 'emulator-started'], ['emulator-started', 'agent-answered']]) {
    expect(at[after!]!, `${before} before ${after}`).toBeGreaterThanOrEqual(at[before!]!);
  }
  expect(await labExec(page, `cat ${PROOF}`)).toMatchObject({ exitCode: 0, stdout: `${token}\n` });
  // The status bar says when the resumed save was made.
  await expect.poll(() => saveText(page)).toMatch(/^Saved (just now|\d+ min ago)$/);

  const reloaded = await page.evaluate(() => (document.querySelector('docker-lab') as DockerLab).vm!.save() as Promise<SaveResult>);
  console.log(`[save after resume] ok=${reloaded.ok} ${reloaded.ms} ms, phases ${JSON.stringify(reloaded.timings)}`);
  expect(reloaded.ok).toBe(true);
});
