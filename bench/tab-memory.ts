// The tab's memory as a learner's browser holds it: the same first visit,
// workload, save and reload as the browser bench, in a Chromium driven over its
// DevTools pipe with no Network domain (cdp-pipe.ts says what that domain keeps).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CHROMIUM_ARGS, READY_EXPRESSION } from './browser.ts';
import { CdpPipe } from './cdp-pipe.ts';
import { chromiumMemoryMb } from './chromium-processes.ts';
import { serve } from './preview-server.ts';
import { dockerWorkload, type Figure } from './workload.ts';
import type { AgentExecResult } from '../workers/agent-client.ts';

const PORT = 4178;
const LAB = "document.querySelector('docker-lab')";

/** Waits for the lab in a document that has no `window.leftBehind` (set on the page a reload replaces). */
async function waitReady(chrome: CdpPipe, page: string): Promise<void> {
  const deadline = Date.now() + 600_000;
  const ready = `window.leftBehind === undefined && ${READY_EXPRESSION}`;
  while (!(await chrome.evaluate<boolean>(page, ready).catch(() => false))) {
    if (Date.now() > deadline) throw new Error('the lab was not ready after 10 minutes');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function benchTabMemory(): Promise<Figure[]> {
  const server = await serve(PORT);
  const profile = mkdtempSync(path.join(os.tmpdir(), 'lab-bench-memory-'));
  const chrome = new CdpPipe([...CHROMIUM_ARGS, '--headless', `--user-data-dir=${profile}`]);
  try {
    const page = await chrome.openPage(`http://127.0.0.1:${PORT}/`);
    await waitReady(chrome, page);
    const exec = (command: string, timeoutMs: number) =>
      chrome.evaluate<AgentExecResult>(page, `${LAB}.vm.exec(${JSON.stringify(command)}, { timeoutMs: ${timeoutMs} })`);
    // Its timings are the browser bench's to report; here it only fills the tab as a learner would.
    await dockerWorkload(exec);

    // The renderer's largest RSS while the save runs: a save used to allocate the raw state twice.
    let peakDuringSave = chromiumMemoryMb(profile);
    const sampler = setInterval(() => {
      const now = chromiumMemoryMb(profile);
      if (now.tab > peakDuringSave.tab) peakDuringSave = now;
    }, 100);
    const saved = await chrome.evaluate<{ ok: boolean; error?: string }>(page, `${LAB}.vm.save().then(({ ok, error }) => ({ ok, error }))`);
    clearInterval(sampler);
    if (!saved.ok) throw new Error(`save failed: ${saved.error}`);
    const afterSave = chromiumMemoryMb(profile);

    await chrome.evaluate(page, 'window.leftBehind = true');
    await chrome.send('Page.reload', {}, page);
    await waitReady(chrome, page);
    const source = await chrome.evaluate<string>(page, `${LAB}.lastStart.source`);
    if (source !== 'saved') console.warn(`after the reload the lab came from "${source}", not from the saved state`);
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const afterRestore = chromiumMemoryMb(profile);
    return [
      { name: 'tab_memory_mb', value: afterSave.all, unit: 'MB' },
      { name: 'tab_renderer_memory_mb', value: afterSave.tab, unit: 'MB' },
      { name: 'tab_renderer_private_mb', value: afterSave.tabPrivate, unit: 'MB' },
      { name: 'tab_renderer_peak_during_save_mb', value: peakDuringSave.tab, unit: 'MB' },
      { name: 'tab_renderer_private_peak_during_save_mb', value: peakDuringSave.tabPrivate, unit: 'MB' },
      { name: 'tab_renderer_memory_after_restore_mb', value: afterRestore.tab, unit: 'MB' },
      { name: 'tab_renderer_private_after_restore_mb', value: afterRestore.tabPrivate, unit: 'MB' },
    ];
  } finally {
    await chrome.close();
    server.kill();
    rmSync(profile, { recursive: true, force: true });
  }
}
