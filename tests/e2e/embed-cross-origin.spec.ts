// The README's one-line embed snippet, pasted into a course page served by a
// second static server on another origin (and another site: "localhost"
// versus the lab's 127.0.0.1), in a narrow window. The embedded lab boots,
// shows its lesson, runs a lesson command and a typed one, and loads all it
// needs (worker, guest files) from its own origin: the course page's server
// is asked for the page alone.

import fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import sirv from 'sirv';
import { expectTerminal, requireGuestArtifacts, waitForReady } from './helpers/lab';
import { checkPasses, expectPage, lessonPanel, runButton } from './helpers/lesson';

const README = path.resolve(import.meta.dirname, '../../README.md');

/** The snippet exactly as the README documents it. */
function readmeSnippet(): string {
  const line = fs.readFileSync(README, 'utf8').split('\n').find((l) => /^<iframe src="https:\/\/YOUR-HOST\/embed\.html\?lesson=/.test(l));
  if (!line) throw new Error('README.md has no embed snippet (<iframe src="https://YOUR-HOST/embed.html?lesson=…">)');
  return line;
}

let server: Server;
let hostOrigin: string;
let siteDir: string;
const hostRequests: string[] = [];

test.beforeAll(async ({ baseURL }) => {
  const labOrigin = new URL(baseURL!).origin;
  const iframe = readmeSnippet().replace('https://YOUR-HOST/', `${labOrigin}/`);
  siteDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-course-page-'));
  fs.writeFileSync(
    path.join(siteDir, 'index.html'),
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
      `<link rel="icon" href="data:,"><title>A Docker course</title></head>` +
      `<body><h1>Lesson 1</h1><p>Try it right here:</p>\n${iframe}\n</body></html>\n`,
  );
  const serve = sirv(siteDir, { dev: true });
  server = createServer((req, res) => {
    hostRequests.push(req.url ?? '');
    serve(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  hostOrigin = `http://localhost:${(server.address() as AddressInfo).port}`;
});

test.afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  if (siteDir) fs.rmSync(siteDir, { recursive: true, force: true });
});

test('the README snippet embeds the lab in a page of another origin, also when narrow', async ({ page, baseURL }) => {
  test.setTimeout(15 * 60_000);
  requireGuestArtifacts();
  const labOrigin = new URL(baseURL!).origin;
  page.on('pageerror', (err) => console.log(`[page error] ${err.message}`));
  await page.setViewportSize({ width: 480, height: 800 });
  await page.goto(`${hostOrigin}/`);
  await expect(page.getByRole('heading', { name: 'Lesson 1' })).toBeVisible();

  const lab = page.frameLocator('iframe');
  const frame = await (await page.locator('iframe').elementHandle())!.contentFrame();
  expect(frame).not.toBeNull();
  await expectPage(lab, 'Welcome');
  expect(await frame!.evaluate(() => location.origin)).toBe(labOrigin);
  // Cross-origin for real: the course page cannot reach into the lab.
  expect(
    await page.evaluate(() => {
      try {
        return document.querySelector('iframe')!.contentWindow!.document ? 'reachable' : 'blocked';
      } catch {
        return 'blocked';
      }
    }),
  ).toBe('blocked');

  const start = await waitForReady(frame!);
  // Browsers may refuse storage to a frame of another site; the lab then starts fresh and says why.
  console.log(`[lab] embedded lab started from ${start.source} in ${(start.ms / 1000).toFixed(1)} s; fallbacks: ${start.fallbackReasons.join(' | ') || 'none'}`);
  expect(start.source).not.toBe('cold');

  // Narrow: lesson above, terminal below, both usable, nothing wider than the frame.
  const frameBox = (await page.locator('iframe').boundingBox())!;
  const terminalBox = (await lab.locator('lab-terminal').boundingBox())!;
  expect(terminalBox.width).toBeLessThanOrEqual(frameBox.width);
  expect(terminalBox.height).toBeGreaterThan(150);
  await expect(lessonPanel(lab)).toBeVisible();
  expect(await frame!.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);

  await lessonPanel(lab).getByRole('button', { name: 'Next', exact: true }).click();
  await expectPage(lab, 'Run hello-world');
  await runButton(lab, 'docker run hello-world').click();
  await expectTerminal(frame!, /Hello from Docker!/, 5 * 60_000);
  await checkPasses(lab, 'Share a file with a container');

  // Keyboard input reaches the embedded terminal.
  await lab.locator('lab-terminal .xterm').click();
  await page.keyboard.type('echo embedded-$((6*7))', { delay: 20 });
  await page.keyboard.press('Enter');
  await expectTerminal(frame!, /^embedded-42\s*$/m);

  // The deep link in the snippet's URL was kept up to date inside the frame.
  expect(new URL(frame!.url()).searchParams.get('step')).toBe('2');
  expect(hostRequests).toEqual(['/']);
});
