import { expect, test } from '@playwright/test';
import { expectTerminal, labExec, openLab, typeCommand, waitForReady } from './helpers/lab';

test('the lab boots, and Docker works from the terminal and from exec', async ({ page }) => {
  await openLab(page);
  const start = await waitForReady(page);
  console.log(`[lab] started from ${start.source} in ${(start.ms / 1000).toFixed(1)} s; fallbacks: ${start.fallbackReasons.join(' | ') || 'none'}`);
  // A fresh browser has nothing saved, so the lab must not claim to have resumed.
  expect(start.source).not.toBe('saved');

  await typeCommand(page, 'docker version');
  await expectTerminal(page, /Server:/);

  await typeCommand(page, 'docker run --rm busybox echo hello');
  // The typed command also contains "hello"; the container's output is a line of its own.
  await expectTerminal(page, /^hello\s*$/m, 180_000);

  const r = await labExec(page, 'docker run --rm busybox echo hi', 180_000);
  expect(r).toMatchObject({ exitCode: 0, stdout: 'hi\n', timedOut: false, truncated: false });
});
