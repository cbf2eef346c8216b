// Containers 101 end to end in the real lab: the lesson's Run buttons type
// its commands into the terminal, its Check buttons run its verify scripts in
// the guest, and the todo-api is called through the port preview (a real HTTP
// request inside the lab machine). No fake VM anywhere.

import { expect, test, type Page } from '@playwright/test';
import { labExec, openLab, waitForReady } from './helpers/lab';
import { checkPasses, expectPage, next, runButton, sendPreview, showView } from './helpers/lesson';

const MINUTE = 60_000;

/** Polls a command in the guest every few seconds (each docker call costs the emulated CPU seconds). */
async function untilExit(page: Page, command: string, exit: 'ok' | 'fails', timeoutMs: number): Promise<void> {
  await expect
    .poll(async () => ((await labExec(page, command, 60_000)).exitCode === 0 ? 'ok' : 'fails'), {
      timeout: timeoutMs,
      intervals: [5000],
      message: `${command} should end ${exit}`,
    })
    .toBe(exit);
}

test('Containers 101: build, run, POST and GET through the port preview, then the rebuild step checks out', async ({ page }) => {
  // Two image builds' worth of emulated work (build, push, pull) on a busy 2-core machine.
  test.setTimeout(60 * MINUTE);
  await openLab(page, '/?lesson=containers-101');
  await expectPage(page, 'Why containers?');
  await waitForReady(page);
  await expect
    .poll(async () => (await labExec(page, 'cat /root/containers-101/Dockerfile')).stdout, { timeout: 2 * MINUTE, intervals: [2000] })
    .toContain('FROM python:3.11-slim');

  await next(page, 'Check Docker and meet the project');
  await next(page, 'Read the Dockerfile and build the image');
  await runButton(page, 'cd /root/containers-101 docker build -t todo-api:v0.1 .').click();
  await untilExit(page, 'docker image inspect todo-api:v0.1', 'ok', 25 * MINUTE);
  await checkPasses(page, 'Run the API and call it');

  await runButton(page, 'docker run -d --name todo -p 8080:8080 todo-api:v0.1').click();
  // To the preview by keyboard, as the tab strip promises (arrow keys move between tabs).
  await page.getByRole('tab', { name: 'Terminal' }).focus();
  await page.keyboard.press('ArrowRight');
  await expect(page.getByRole('tab', { name: 'Port preview' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('tab', { name: 'Port preview' })).toBeFocused();
  const preview = page.locator('port-preview');
  await expect(preview).toBeVisible();
  await expect(page.locator('lab-terminal')).toBeHidden();

  // The preview finds the published port by itself (docker ps in the guest).
  const chip = preview.getByRole('button', { name: /^8080 · todo$/ });
  await expect(chip).toBeVisible({ timeout: 5 * MINUTE });
  await chip.click();
  await expect(preview.getByLabel('Port', { exact: true })).toHaveValue('8080');

  // Flask takes a while to start; until then the preview says nothing answers.
  await expect(async () => {
    const r = await sendPreview(page, { port: 8080, method: 'GET', path: '/todos' });
    if ('error' in r) throw new Error(r.error);
    expect(r.status).toMatch(/^200 OK\b/);
    expect(JSON.parse(r.body)).toEqual([]);
  }).toPass({ timeout: 5 * MINUTE, intervals: [3000] });

  const post = await sendPreview(page, { port: 8080, method: 'POST', path: '/todos', body: '{"task":"learn K8s"}' });
  expect(post).toMatchObject({ status: expect.stringMatching(/^201 CREATED\b/) });
  expect(JSON.parse((post as { body: string }).body)).toEqual({ result: 'added' });

  const get = await sendPreview(page, { port: 8080, method: 'GET', path: '/todos' });
  expect(get).toMatchObject({ status: expect.stringMatching(/^200 OK\b/) });
  expect(JSON.parse((get as { body: string }).body)).toEqual(['learn K8s']);
  await expect(preview.locator('pre.body')).toHaveText(/\[\s*"learn K8s"\s*\]/);

  // A bad body is refused in the page with a reason, and what was typed stays.
  await preview.getByLabel('Method', { exact: true }).selectOption('POST');
  await preview.getByLabel('JSON body (optional)').fill('{task: oops}');
  await preview.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(preview.getByRole('alert')).toContainText('The body is not valid JSON');
  await expect(preview.getByLabel('JSON body (optional)')).toHaveValue('{task: oops}');

  await showView(page, 'Terminal');
  await expect(page.locator('lab-terminal')).toBeVisible();
  // The lesson's own check asks the API itself and must see the task the preview added.
  await checkPasses(page, 'Change the code, rebuild from cache');
  // Pushing to localhost:5000, removing and pulling back are run command by command
  // in the guest by `npm run test:lessons`; here in the browser they were not yet
  // seen to pass, so this spec ends with the preview and the cache rebuild's check.
  await expect(page.locator('lesson-panel')).toContainText('of 8 done');
});
