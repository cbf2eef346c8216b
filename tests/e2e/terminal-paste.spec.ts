import { expect, test } from '@playwright/test';
import { expectTerminal, labExec, openLab, typeCommand, waitForReady } from './helpers/lab';

const MB = 1024 * 1024;

/** 1 MB of numbered text lines, like a log file copied from somewhere. */
function bigText(): string {
  const lines: string[] = [];
  let size = 0;
  for (let i = 1; size < MB; i++) {
    const line = `line ${String(i).padStart(6, '0')} the quick brown fox jumps over the lazy dog`;
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join('\n') + '\n';
}

test('a 1 MB paste neither freezes the tab nor the lab, and Ctrl-C stops it', async ({ page }) => {
  test.setTimeout(15 * 60_000);
  await openLab(page);
  await waitForReady(page);

  await typeCommand(page, 'cat > /root/pasted.txt');
  await page.evaluate((text) => {
    const terminal = document.querySelector('docker-lab')?.shadowRoot?.querySelector('lab-terminal');
    const textarea = terminal?.shadowRoot?.querySelector('.screen textarea');
    if (!textarea) throw new Error('no terminal textarea');
    const data = new DataTransfer();
    data.setData('text/plain', text);
    textarea.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true, composed: true }));
  }, bigText());

  // Large pastes are confirmed first.
  await expect(page.getByText(/You are pasting 1024 KB of text/)).toBeVisible();
  await page.getByRole('button', { name: 'Paste', exact: true }).click();

  // The guest receives the paste: its first lines arrive in the file.
  await expect
    .poll(async () => Number((await labExec(page, 'wc -c < /root/pasted.txt')).stdout.trim()), { timeout: 5 * 60_000 })
    .toBeGreaterThan(10_000);

  // The tab keeps answering while the paste goes on: a round trip and a repaint.
  expect(await page.evaluate(() => new Promise<string>((r) => requestAnimationFrame(() => r('painted'))))).toBe('painted');

  await page.locator('lab-terminal .xterm').click();
  await page.keyboard.press('Control+C');
  const stopped = Number((await labExec(page, 'sleep 3; wc -c < /root/pasted.txt')).stdout.trim());
  console.log(`[paste] ${stopped} of ${MB} bytes reached the file before Ctrl-C`);
  // Nothing more arrives once Ctrl-C was pressed.
  expect(Number((await labExec(page, 'sleep 3; wc -c < /root/pasted.txt')).stdout.trim())).toBe(stopped);

  await typeCommand(page, 'echo pasted-$((6*7))');
  await expectTerminal(page, /^pasted-42$/m);
  // What did arrive is the paste, in order, from its first line.
  expect((await labExec(page, 'head -n 2 /root/pasted.txt')).stdout).toBe(
    'line 000001 the quick brown fox jumps over the lazy dog\nline 000002 the quick brown fox jumps over the lazy dog\n',
  );
});
