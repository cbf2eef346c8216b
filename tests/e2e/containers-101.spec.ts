// Containers 101 end to end in the real lab: the lesson's Run buttons type
// its commands into the terminal, its Check buttons run its verify scripts in
// the guest, and the todo-api is called through the port preview (a real HTTP
// request inside the lab machine). No fake VM anywhere.

import { expect, test, type Page } from '@playwright/test';
import { expectTerminal, labExec, openLab, terminalText, waitForReady } from './helpers/lab';
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

async function repoDigest(page: Page): Promise<string> {
  const r = await labExec(page, `docker image inspect localhost:5000/todo-api:v0.1 --format '{{range .RepoDigests}}{{println .}}{{end}}'`);
  expect(r.exitCode).toBe(0);
  const m = /^localhost:5000\/todo-api@(sha256:[0-9a-f]{64})$/m.exec(r.stdout);
  expect(m, `RepoDigests: ${r.stdout}`).not.toBeNull();
  return m![1];
}

test('Containers 101: build, run, POST and GET through the port preview, push, remove, pull back', async ({ page }) => {
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
  await next(page, 'Dig into the layers');
  await next(page, 'Push to a registry');

  await runButton(page, 'docker tag todo-api:v0.1 localhost:5000/todo-api:v0.1').click();
  await untilExit(page, 'docker image inspect localhost:5000/todo-api:v0.1', 'ok', 5 * MINUTE);
  await runButton(page, 'docker tag python:3.11-slim localhost:5000/library/python:3.11-slim').click();
  // Rows of the terminal wrap long lines; joined, the digest line is whole again.
  await expect
    .poll(async () => (await terminalText(page)).replace(/\n/g, ''), { timeout: 15 * MINUTE, intervals: [5000] })
    .toMatch(/3\.11-slim: digest: sha256:[0-9a-f]{64}/);
  await runButton(page, 'docker push localhost:5000/todo-api:v0.1').click();
  await untilExit(page, `curl -s --max-time 10 http://localhost:5000/v2/todo-api/tags/list | grep -q '"v0.1"'`, 'ok', 20 * MINUTE);
  await expectTerminal(page, /Mounted from library\/python/, 5 * MINUTE);
  const pushed = await repoDigest(page);
  await checkPasses(page, 'Delete it and pull it back');

  // Step 4 was skipped, so todo still runs v0.1 and Docker would refuse to delete it: the lesson says so.
  await runButton(page, "docker ps -a --filter name=todo --format '{{.Names}} {{.Image}}'").click();
  await expectTerminal(page, /^todo todo-api:v0\.1\s*$/m, 2 * MINUTE);
  await runButton(page, 'docker rm -f todo').click();
  await untilExit(page, 'docker container inspect todo', 'fails', 3 * MINUTE);
  await runButton(page, 'docker rmi localhost:5000/todo-api:v0.1 todo-api:v0.1').click();
  await untilExit(page, 'docker image inspect localhost:5000/todo-api:v0.1 || docker image inspect todo-api:v0.1', 'fails', 5 * MINUTE);
  await runButton(page, 'docker pull localhost:5000/todo-api:v0.1').click();
  await untilExit(page, 'docker image inspect localhost:5000/todo-api:v0.1', 'ok', 15 * MINUTE);
  // The same content came back: the digest the registry gave at push time.
  expect(await repoDigest(page)).toBe(pushed);
  await checkPasses(page, 'Power-user commands');
  // Steps 1 and 5 have no check (Next counts), 2, 3, 6 and 7 passed theirs; 4 was skipped.
  await expect(page.locator('lesson-panel')).toContainText('6 of 8 done');
});
