// A Killercoda-style scenario, written here into a temp folder, imported
// through the page's folder picker and run against the real guest: the
// check fails before the learner runs the step's command and passes after,
// and passing opens the next step. No fake VM anywhere.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { strToU8, zipSync } from 'fflate';
import { expectTerminal, labExec, openLab, waitForReady } from './helpers/lab';

const SCENARIO: Record<string, string> = {
  'index.json': JSON.stringify(
    {
      title: 'Imported demo',
      description: 'Written by the e2e test',
      details: {
        steps: [
          { title: 'Start a container', text: 'step1/text.md', verify: 'step1/verify.sh' },
          { title: 'Look around', text: 'step2/text.md' },
        ],
      },
      backend: { imageid: 'ubuntu' },
    },
    null,
    2,
  ),
  'step1/text.md': 'Start a container named `imported`:\n\n```\ndocker run --name imported busybox echo imported\n```{{exec}}\n',
  'step1/verify.sh': '#!/bin/bash\necho "looking for a container named imported"\ndocker ps -a --filter name=imported -q | grep -q .\n',
  'step2/text.md': 'List it: `docker ps -a`{{exec}}\n',
};

function writeScenario(): string {
  const root = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lab-scenario-')), 'demo-scenario');
  for (const [name, text] of Object.entries(SCENARIO)) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), text);
  }
  return root;
}

test('an imported scenario: check fails, Run, check passes, the next step opens', async ({ page }) => {
  const root = writeScenario();
  await openLab(page);
  const picker = page.locator('lesson-picker');
  await expect(picker.getByRole('button', { name: /Hello, lab/ })).toBeVisible();

  // A broken scenario (as a zip in a wrapper folder) is refused with the file and line.
  const badZip = path.join(path.dirname(root), 'broken.zip');
  fs.writeFileSync(badZip, zipSync({ 'broken/index.json': strToU8('{\n  "title": "Broken",\n  "details": {,}\n}\n') }));
  await picker.locator('input[data-kind="zip"]').setInputFiles(badZip);
  await expect(picker.getByRole('alert')).toContainText('index.json:3');

  // The folder, as a learner picks it (webkitdirectory).
  await picker.locator('input[data-kind="folder"]').setInputFiles(root);
  const panel = page.locator('lesson-panel');
  await expect(panel.getByRole('heading', { level: 2 })).toHaveText('Imported demo');
  await expect(panel.locator('h3.page-title')).toHaveText('Start a container');
  await expect(panel).toContainText('Step 1 of 2');

  await waitForReady(page);
  const check = panel.getByRole('button', { name: 'Check', exact: true });
  const result = panel.locator('[data-check-result]');

  await check.click();
  await expect(result).toHaveAttribute('data-check-result', 'failed', { timeout: 120_000 });
  await expect(result).toContainText('looking for a container named imported');

  await panel.getByRole('button', { name: 'Run in the terminal: docker run --name imported busybox echo imported' }).click();
  // The container's output, on a line of its own (the typed command also contains the word).
  await expectTerminal(page, /^imported\s*$/m, 180_000);

  await check.click();
  await expect(panel.locator('h3.page-title')).toHaveText('Look around', { timeout: 120_000 });
  await expect(panel).toContainText('Step 1 passed');
  await expect(panel).toContainText('Step 2 of 2');
  await expect(panel.getByRole('button', { name: 'Run in the terminal: docker ps -a' })).toBeVisible();
  expect(new URL(page.url()).searchParams.get('step')).toBe('2');
  expect(new URL(page.url()).searchParams.get('lesson')).toBe('imported-demo-scenario');

  // What the check saw is really there, asked through the agent rather than the UI.
  const r = await labExec(page, "docker ps -a --filter name=imported --format '{{.Names}}'");
  expect(r.stdout.trim()).toBe('imported');
  fs.rmSync(path.dirname(root), { recursive: true, force: true });
});
