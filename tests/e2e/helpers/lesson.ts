// Driving a lesson as a learner does: its Run and Check buttons, Next, and
// the port preview, all through accessible names (Playwright's locators see
// through the components' shadow roots).

import { expect, type FrameLocator, type Locator, type Page } from '@playwright/test';

type Scope = Page | FrameLocator;

export function lessonPanel(scope: Scope): Locator {
  return scope.locator('lesson-panel');
}

/**
 * The Run button of the command that starts with `text` (whitespace, e.g. newlines, matches any).
 * Button names quote at most 57 characters of a command, so only the start is matched.
 */
export function runButton(scope: Scope, text: string): Locator {
  const pattern = text.trim().slice(0, 50).split(/\s+/).map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('\\s+');
  return lessonPanel(scope).getByRole('button', { name: new RegExp(`^Run in the terminal: ${pattern}`) });
}

export async function expectPage(scope: Scope, title: string, timeoutMs = 120_000): Promise<void> {
  await expect(lessonPanel(scope).locator('h3.page-title')).toHaveText(title, { timeout: timeoutMs });
}

/** Clicks Check and expects it to pass, which opens the next page. */
export async function checkPasses(scope: Scope, nextTitle: string): Promise<void> {
  const panel = lessonPanel(scope);
  await panel.getByRole('button', { name: 'Check', exact: true }).click();
  const result = panel.locator('[data-check-result]');
  // A failure stays on the page with the check's words; say them rather than time out.
  await expect(async () => {
    const failed = (await result.count()) > 0 && (await result.getAttribute('data-check-result')) === 'failed';
    if (failed) throw new Error(`The check failed: ${await result.innerText()}`);
    await expect(panel.locator('h3.page-title')).toHaveText(nextTitle, { timeout: 1000 });
  }).toPass({ timeout: 120_000 });
}

export async function next(scope: Scope, title: string): Promise<void> {
  await lessonPanel(scope).getByRole('button', { name: /^(Next|Finish)$/ }).click();
  await expectPage(scope, title);
}

/** The lab's tab strip: "Terminal" or "Port preview". */
export async function showView(scope: Scope, name: 'Terminal' | 'Port preview'): Promise<void> {
  const tab = scope.getByRole('tab', { name });
  await tab.click();
  await expect(tab).toHaveAttribute('aria-selected', 'true');
}

export interface PreviewAnswer {
  status: string;
  body: string;
}

/** Fills the port preview's form, sends it, and returns the status line and body it shows. */
export async function sendPreview(
  scope: Scope,
  request: { port: number; method: string; path: string; body?: string },
): Promise<PreviewAnswer | { error: string }> {
  const preview = scope.locator('port-preview');
  await preview.getByLabel('Port', { exact: true }).fill(String(request.port));
  await preview.getByLabel('Method', { exact: true }).selectOption(request.method);
  await preview.getByLabel('Path', { exact: true }).fill(request.path);
  if (request.body !== undefined) await preview.getByLabel('JSON body (optional)').fill(request.body);
  const send = preview.getByRole('button', { name: 'Send', exact: true });
  await send.click();
  // Sending… then Send again, whatever the outcome.
  await expect(send).toBeEnabled({ timeout: 180_000 });
  const error = preview.getByRole('alert');
  if ((await error.count()) > 0) return { error: await error.innerText() };
  return {
    status: (await preview.locator('[data-status]').innerText()).replace(/\s+/g, ' ').trim(),
    body: await preview.locator('pre.body').innerText(),
  };
}
