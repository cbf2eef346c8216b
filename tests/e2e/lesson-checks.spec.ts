// One step of each built-in lesson besides Containers 101 (which has its own
// spec), done as a learner does it: a deep link opens the step, Run types the
// command into the terminal, and the step's Check passes on the real guest.

import { expect, test } from '@playwright/test';
import { labExec, openLab, waitForReady } from './helpers/lab';
import { checkPasses, expectPage, runButton } from './helpers/lesson';

const MINUTE = 60_000;

interface StepCase {
  lesson: string;
  step: number;
  title: string;
  /** The start of the command block whose Run button is pressed. */
  run: string;
  /** Exits 0 once the command has done its work in the guest. */
  done: string;
  /** Exits 0 once the lesson's files are in the guest, for steps that use them. */
  filesPlaced?: string;
  nextTitle: string;
}

const CASES: StepCase[] = [
  {
    lesson: 'what-containers-are', step: 3, title: 'Copy-on-write',
    run: "docker run --name cow debian:bookworm-slim sh -c",
    done: "docker diff cow | grep -qx 'D /etc/issue'",
    nextTitle: 'The container lifecycle',
  },
  {
    lesson: 'images-deep-dive', step: 1, title: 'ENTRYPOINT and CMD',
    // Run buttons are named after the first 57 characters of their block.
    run: 'cd /root/images-deep-dive cat echo/Dockerfile',
    done: 'docker image inspect myimage >/dev/null',
    filesPlaced: 'test -f /root/images-deep-dive/echo/Dockerfile',
    nextTitle: 'Build a Flask app image',
  },
  {
    lesson: 'volumes-and-networks', step: 1, title: 'Warm-up: the everyday commands',
    run: 'docker --version docker run hello-world',
    done: 'docker ps -a -q --filter ancestor=hello-world | grep -q .',
    nextTitle: 'Ephemeral layers and anonymous volumes',
  },
  {
    lesson: 'why-docker', step: 1, title: 'Namespaces',
    run: 'docker run -d --name ns-demo busybox sleep 600',
    done: "docker inspect -f '{{.State.Running}}' ns-demo | grep -qx true",
    nextTitle: 'Control groups',
  },
];

for (const c of CASES) {
  test(`${c.lesson}, step ${c.step} (${c.title}): Run, then its Check passes`, async ({ page }) => {
    test.setTimeout(20 * MINUTE);
    await openLab(page, `/?lesson=${c.lesson}&step=${c.step}`);
    await expectPage(page, c.title);
    await waitForReady(page);
    if (c.filesPlaced) {
      const placed = c.filesPlaced;
      await expect.poll(async () => (await labExec(page, placed)).exitCode, { timeout: 2 * MINUTE, intervals: [2000] }).toBe(0);
    }
    await runButton(page, c.run).click();
    await expect
      .poll(async () => (await labExec(page, c.done, 60_000)).exitCode, { timeout: 10 * MINUTE, intervals: [3000] })
      .toBe(0);
    await checkPasses(page, c.nextTitle);
  });
}
