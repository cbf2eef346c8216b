// The lab as a learner meets it: the production build served statically, opened
// in Debian's Chromium with a fresh profile, driven through <docker-lab>'s public API.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { chromiumCpuSeconds } from './chromium-processes.ts';
import { serve } from './preview-server.ts';
import { dockerWorkload, median, round, timed, type Figure } from './workload.ts';
import type { AgentExecResult } from '../workers/agent-client.ts';
import type { StartMilestone, StartMilestoneName, StartResult, VmStatus } from '../workers/protocol.ts';

const PORT = 4179;
/** Reloads that resume the save; the figure is their median. */
const RELOADS = 3;
/** How long the bench leaves the lab alone before its `docker run`s "after reading". */
const READING_MS = 60_000;
/** The last part of it, in which the bench measures the CPU an idle lab uses. */
const IDLE_SAMPLE_MS = 20_000;
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

interface Ready {
  source: string;
  milestones: StartMilestone[];
  /** The page's navigation start on the clock the worker's milestones use. */
  pageOrigin: number;
}

/** True once the lab is ready: its phase turns 'ready' a moment before start() has answered with where the machine came from. */
export const READY_EXPRESSION = "(() => { const lab = document.querySelector('docker-lab'); return lab?.phase === 'ready' && lab.lastStart != null; })()";

async function waitReady(page: Page): Promise<Ready> {
  await page.waitForFunction(READY_EXPRESSION, null, { timeout: 600_000, polling: 100 });
  return page.evaluate(() => {
    const { source, milestones } = (document.querySelector('docker-lab') as unknown as { lastStart: StartResult }).lastStart;
    return { source, milestones, pageOrigin: performance.timeOrigin };
  });
}

/** Where a resume's wait went, from the page's navigation to the agent's first answer. */
function resumeBreakdown({ milestones, pageOrigin }: Ready): Figure[] {
  // A fallback repeats the emulator's milestones: the last of each belongs to the machine that ran.
  const at = (name: StartMilestoneName) => milestones.filter((m) => m.name === name).at(-1)?.at;
  const span = (name: string, from: number | undefined, to: number | undefined): Figure[] =>
    from === undefined || to === undefined ? [] : [{ name, value: Math.round(to - from), unit: 'ms' }];
  return [
    ...span('restore_page_to_worker_ms', pageOrigin, at('worker-created')),
    ...span('restore_worker_to_start_ms', at('worker-created'), at('start-called')),
    ...span('restore_read_unpack_ms', at('start-called'), at('saved-read')),
    ...span('restore_emulator_ms', at('start-called'), at('emulator-started')),
    ...span('restore_agent_ms', at('emulator-started'), at('agent-answered')),
  ];
}

/** Reloads the page RELOADS times, 10 s apart, and times each until the lab is ready. */
async function timedReloads(page: Page): Promise<Array<{ s: number; ready: Ready }>> {
  const reloads: Array<{ s: number; ready: Ready }> = [];
  for (let i = 0; i < RELOADS; i++) {
    const started = Date.now();
    await page.reload();
    const ready = await waitReady(page);
    reloads.push({ s: round((Date.now() - started) / 1000), ready });
    if (ready.source !== 'saved') console.warn(`after reload ${i + 1} the lab came from "${ready.source}", not from the saved state`);
    if (i < RELOADS - 1) await new Promise((resolve) => setTimeout(resolve, 10_000));
  }
  return reloads;
}

function medianOf<T extends { s: number }>(runs: T[]): T {
  return [...runs].sort((a, b) => a.s - b.s)[Math.floor(runs.length / 2)]!;
}

export async function benchBrowser(): Promise<Figure[]> {
  const server = await serve(PORT);
  const profile = mkdtempSync(path.join(os.tmpdir(), 'lab-bench-profile-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  try {
    const page = await context.newPage();
    let bytes = 0;
    let counting = true;
    context.on('requestfinished', (request) => {
      void request.sizes().then((sizes) => { if (counting) bytes += sizes.responseBodySize + sizes.responseHeadersSize; }, () => undefined);
    });
    const figures: Figure[] = [];
    let started = Date.now();
    await page.goto(`http://127.0.0.1:${PORT}/`);
    await waitReady(page);
    counting = false;
    figures.push({ name: 'first_visit_s', value: round((Date.now() - started) / 1000), unit: 's' });
    figures.push({ name: 'first_visit_mb', value: round(bytes / 1048576), unit: 'MB' });

    const exec = (command: string, timeoutMs: number) => page.evaluate(
      ([c, t]) => (document.querySelector('docker-lab') as unknown as { vm: { exec(c: string, o: object): Promise<AgentExecResult> } }).vm.exec(c, { timeoutMs: t }),
      [command, timeoutMs] as const,
    );
    const probe = await exec('true', 10_000);
    figures.push({ name: 'browser_exec_true_ms', value: probe.ms, unit: 'ms' });
    figures.push(...await dockerWorkload(exec));
    // The disk parts fetched in the background since the lab was ready (workers/disk-prefetch.ts).
    const prefetch = await page.evaluate(() => (document.querySelector('docker-lab') as unknown as { status: VmStatus | null }).status?.diskPrefetch ?? null);
    figures.push({ name: 'first_visit_prefetch_mb', value: round((prefetch?.fetchedBytes ?? 0) / 1048576), unit: 'MB' });
    figures.push({ name: 'first_visit_prefetch_parts', value: prefetch?.done ?? 0, unit: `of ${prefetch?.parts ?? 0}` });

    started = Date.now();
    const saved = await page.evaluate(() => (document.querySelector('docker-lab') as unknown as { vm: { save(): Promise<{ ok: boolean; ms: number; info?: { bytes: number }; error?: string; timings?: Record<string, number> }> } }).vm.save());
    if (!saved.ok) throw new Error(`save failed: ${saved.error}`);
    figures.push({ name: 'save_s', value: round((Date.now() - started) / 1000), unit: 's' });
    // Where a save's time goes: stopping the emulator, v86's save_state, packing the frames, IndexedDB.
    for (const [stage, ms] of Object.entries(saved.timings ?? {})) figures.push({ name: `save_${stage}_ms`, value: ms, unit: 'ms' });
    figures.push({ name: 'saved_state_mb', value: round((saved.info?.bytes ?? 0) / 1048576), unit: 'MB' });
    // The tab's memory is measured in a Chromium without Playwright's instrumentation (tab-memory.ts).

    // One reload is at the mercy of whatever else the 2 cores were doing: three,
    // reported as their median (with each run), the breakdown that of the median run.
    const reloads = await timedReloads(page);
    const medianReload = medianOf(reloads);
    const runs = reloads.map((r) => r.s);
    figures.push({ name: 'restore_s', value: medianReload.s, unit: 's', runs });
    figures.push({ name: `ready_from_cache_s`, value: medianReload.s, unit: 's', runs });
    figures.push(...resumeBreakdown(medianReload.ready));

    // A learner reads before typing: after the last reload, a minute without input lets
    // the lab's background warm-up and disk prefetch run, as they would while reading.
    await new Promise((resolve) => setTimeout(resolve, READING_MS - IDLE_SAMPLE_MS));
    // The reading minute's end, once the warm-up and the prefetch are done: what an open, idle lab costs.
    const idleCpuFrom = chromiumCpuSeconds(profile);
    await new Promise((resolve) => setTimeout(resolve, IDLE_SAMPLE_MS));
    figures.push({ name: 'idle_tab_cpu_percent', value: round(((chromiumCpuSeconds(profile) - idleCpuFrom) / (IDLE_SAMPLE_MS / 1000)) * 100), unit: '% of a core' });
    const afterReading: number[] = [];
    for (let i = 0; i < 3; i++) afterReading.push(round(await timed(exec, 'docker run --rm busybox echo hi')));
    figures.push({ name: 'docker_run_after_reading_median_s', value: median(afterReading), unit: 's', runs: afterReading });
    // Once v86's JIT has compiled what `docker run` executes (the warm-up's runs and the three
    // above): what a learner's tenth run in a row takes.
    const jitWarm: number[] = [];
    for (let i = 0; i < 10; i++) jitWarm.push(round(await timed(exec, 'docker run --rm busybox echo hi')));
    figures.push({ name: 'docker_run_jit_warm_median_s', value: median(jitWarm), unit: 's', runs: jitWarm });

    // Issue #7's figures: "Make available offline" from this local server, then the
    // same resume from the save with the browser offline (everything from its caches).
    started = Date.now();
    await page.locator('lab-offline').getByRole('button', { name: /^Make available offline/ }).click();
    const outcome = page.locator('lab-offline [data-result]');
    await outcome.waitFor({ timeout: 30 * 60_000 });
    if ((await outcome.getAttribute('data-result')) !== 'done') throw new Error(`making the lab available offline failed: ${await outcome.textContent()}`);
    figures.push({ name: 'make_offline_s', value: round((Date.now() - started) / 1000), unit: 's' });
    const downloaded = /([\d.]+) MB \(([\d.]+) MB downloaded now\)/.exec((await outcome.textContent()) ?? '');
    if (downloaded) figures.push({ name: 'make_offline_downloaded_mb', value: Number(downloaded[2]), unit: `MB of ${downloaded[1]}` });
    await page.context().setOffline(true);
    const offlineReloads = await timedReloads(page);
    const offlineRuns = offlineReloads.map((r) => r.s);
    figures.push({ name: 'ready_offline_s', value: medianOf(offlineReloads).s, unit: 's', runs: offlineRuns });
    await page.context().setOffline(false);
    return figures;
  } finally {
    await context.close();
    server.kill();
    rmSync(profile, { recursive: true, force: true });
  }
}
