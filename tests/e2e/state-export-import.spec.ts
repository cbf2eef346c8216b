// Acceptance case 24: export the lab to a file, reset, import the file, and
// the same images and containers are back, in the real guest.
import { expect, test, type Page } from '@playwright/test';
import type { DockerLab } from '../../web/components/docker-lab';
import { labExec, openLab, waitForReady } from './helpers/lab';

const PROOF = '/root/export-proof.txt';
const WHAT_WAS_MADE = "docker image ls kept --format '{{.Repository}}:{{.Tag}}'; docker ps -a --filter name=keeper --format '{{.Names}} {{.Image}}'; cat " + PROOF;

/** Waits for the start that `act` sets off: the phase leaves 'ready' first, so the previous start is not taken for it. */
async function restartedBy(page: Page, act: () => Promise<void>) {
  await act();
  await page.waitForFunction(() => (document.querySelector('docker-lab') as DockerLab).phase !== 'ready', null, { timeout: 60_000 });
  return waitForReady(page);
}

test('an exported lab, imported after a reset, brings back its images, containers and files', async ({ page }) => {
  test.setTimeout(20 * 60_000);
  await openLab(page);
  await waitForReady(page);

  const token = `export-${Date.now()}`;
  const made = await labExec(page, `docker tag busybox:latest kept:v1 && docker create --name keeper kept:v1 true >/dev/null && echo ${token} > ${PROOF} && sync`);
  expect(made.exitCode).toBe(0);
  const before = await labExec(page, WHAT_WAS_MADE);
  expect(before.stdout).toBe(`kept:v1\nkeeper kept:v1\n${token}\n`);

  const notice = page.locator('lab-notices [data-notice="message"]');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(notice).toContainText('Saved (', { timeout: 5 * 60_000 });

  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export', exact: true }).click();
  const file = await (await download).path();
  await expect(notice).toContainText('exported as a .dlab file');

  const fresh = await restartedBy(page, () => page.getByRole('button', { name: 'Reset', exact: true }).click());
  expect(fresh.source).not.toBe('saved');
  expect((await labExec(page, WHAT_WAS_MADE)).stdout).not.toContain(token);

  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  const resumed = await restartedBy(page, async () => (await chooser).setFiles(file));
  expect(resumed.source).toBe('saved');
  await expect(notice).toContainText('Imported the lab saved on');
  expect((await labExec(page, WHAT_WAS_MADE)).stdout).toBe(before.stdout);
});
