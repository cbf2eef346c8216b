// Progress in a lesson survives a reload, together with the learner's work in
// the lab machine, and deep links (?lesson=…&step=…) open the page they name.
// The lesson is driven by keyboard where a learner would use one.

import { expect, test } from '@playwright/test';
import { expectTerminal, labExec, openLab, waitForReady } from './helpers/lab';
import { checkPasses, expectPage, lessonPanel, runButton } from './helpers/lesson';

test('progress and work survive a reload; deep links open the named step', async ({ page }) => {
  // Two starts (boot, resume) and a save.
  test.setTimeout(20 * 60_000);
  await openLab(page, '/?lesson=hello-lab');
  const panel = lessonPanel(page);
  await expectPage(page, 'Welcome');
  await expect(panel).toContainText('Introduction · 0 of 2 done');

  // Keyboard: Tab from the page title reaches Next; Enter follows it, and focus lands on the new page's title.
  await panel.locator('h3.page-title').focus();
  const nextButton = panel.getByRole('button', { name: 'Next', exact: true });
  for (let i = 0; i < 10 && !(await nextButton.evaluate((b) => b.matches(':focus'))); i++) await page.keyboard.press('Tab');
  await expect(nextButton).toBeFocused();
  await page.keyboard.press('Enter');
  await expectPage(page, 'Run hello-world');
  await expect(panel.locator('h3.page-title')).toBeFocused();
  expect(new URL(page.url()).searchParams.get('step')).toBe('1');

  await waitForReady(page);
  await runButton(page, 'docker run hello-world').click();
  await expectTerminal(page, /Hello from Docker!/, 5 * 60_000);
  await checkPasses(page, 'Share a file with a container');
  await expect(panel).toContainText('Step 2 of 2 · 1 of 2 done');
  expect(new URL(page.url()).searchParams.get('step')).toBe('2');
  // Passing a check saves the lab machine too; wait for it, so the reload resumes it.
  await expect(page.locator('lab-notices [data-notice="message"]')).toContainText('Saved (', { timeout: 5 * 60_000 });

  await page.reload();
  await expectPage(page, 'Share a file with a container');
  await expect(panel).toContainText('Step 2 of 2 · 1 of 2 done');
  const resumed = await waitForReady(page);
  expect(resumed.source).toBe('saved');

  // A deep link to step 1 opens it, still marked done, and its check still passes on the resumed machine.
  await page.goto('/?lesson=hello-lab&step=1');
  await expectPage(page, 'Run hello-world');
  await expect(panel).toContainText('Step 1 of 2 · 1 of 2 done');
  await expect(panel).toContainText('Done before ✓');
  await waitForReady(page);
  const containers = await labExec(page, 'docker ps -a --filter ancestor=hello-world -q');
  expect(containers.stdout.trim()).not.toBe('');
  await checkPasses(page, 'Share a file with a container');

  // A step number past the end lands on the last page rather than failing.
  await page.goto('/?lesson=hello-lab&step=99');
  await expectPage(page, 'Finished');
  await expect(panel).toContainText('Finished · 1 of 2 done');
});
