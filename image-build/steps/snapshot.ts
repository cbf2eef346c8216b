import { readFile, writeFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { waitForDocker } from '../../workers/docker-ready.ts';
import { Machine } from '../../workers/machine.ts';
import { run } from '../lib/exec.ts';
import { layOutGuest } from '../lib/release-layout.ts';
import type { Step, StepContext } from '../pipeline.ts';

/** Commands run before saving, so their binaries and files sit in the guest's page cache. */
const WARM_UP = [
  // The keeper's shim server (lab-shim-keeper) must be up, so that the snapshot
  // has it and every `docker run` after a resume uses it.
  'i=0; until [ -s /run/containerd/io.containerd.runtime.v2.task/moby/lab-keeper/init.pid ]; do i=$((i+1)); [ $i -gt 240 ] && { echo "the shim keeper did not start:" >&2; cat /var/log/shim-keeper.log >&2; exit 1; }; sleep 0.5; done',
  'docker version',
  'docker images',
  'docker run --rm busybox true',
  'docker run --rm busybox echo warm',
  'docker ps -a',
];

async function guestCommand(machine: Machine, command: string): Promise<void> {
  const result = await machine.agent.exec(command, { timeoutMs: 60_000 });
  if (result.exitCode !== 0) throw new Error(`\`${command}\` failed in the guest: ${result.stderr.trim()}`);
}

async function warmUp(machine: Machine, ctx: StepContext): Promise<void> {
  for (const command of WARM_UP) {
    const result = await machine.agent.exec(command, { timeoutMs: 180_000 });
    ctx.log.write(`\n[warm-up] ${command} → ${result.exitCode} in ${result.ms} ms\n${result.stdout}${result.stderr}`);
    if (result.exitCode !== 0) throw new Error(`warm-up command \`${command}\` failed: ${result.stderr.trim()}`);
  }
}

export interface SnapshotInfo {
  buildId: string;
  rawSize: number;
  bootMs: number;
  dockerReadyMs: number;
  warmUpMs: number;
}

/**
 * Boots the guest in v86 under Node from the very files the site serves, waits
 * for Docker, warms the paths `docker run` uses, and saves the machine state
 * (RAM plus the disk blocks written so far) as state.bin.zst.
 */
export const snapshotStep: Step = {
  name: 'snapshot',
  description: 'boot the guest headless in v86, warm Docker up, save the ready state',
  deps: ['kernel', 'initramfs', 'disk'],
  sources: ['image-build/steps/snapshot.ts', 'image-build/lib/release-layout.ts', 'image-build/config.ts', 'workers/machine.ts', 'workers/agent-client.ts', 'workers/docker-ready.ts', 'workers/v86-options.ts', 'workers/lazy-disk.ts', 'workers/disk-parts.ts'],
  settings: { warmUp: WARM_UP, format: 2 },
  async run(ctx: StepContext) {
    const layout = path.join(ctx.out, '.layout');
    const manifest = await layOutGuest(layout, {
      kernelDir: ctx.input('kernel'), initramfsDir: ctx.input('initramfs'), diskDir: ctx.input('disk'),
    });
    const started = Date.now();
    const consoleLog: string[] = [];
    const machine = new Machine({
      // lab.readahead=0: see rc.sysinit. Only this boot has it; a resume never reads the cmdline.
      manifest: { ...manifest, machine: { ...manifest.machine, cmdline: `${manifest.machine.cmdline} lab.readahead=0` } },
      resolve: (relative) => path.join(layout, relative),
      wasmPath: createRequire(import.meta.url).resolve('v86/build/v86.wasm'),
      readFile: (file) => readFile(file),
      onConsoleOutput: (chunk) => {
        const text = new TextDecoder().decode(chunk);
        ctx.log.write(text);
        consoleLog.push(text);
      },
    });
    try {
      await machine.loaded;
      ctx.progress('booting');
      await machine.agent.waitReady(300_000);
      const bootMs = Date.now() - started;
      ctx.progress(`agent ready after ${(bootMs / 1000).toFixed(1)}s; waiting for dockerd`);
      await waitForDocker(machine.agent, 300_000, 1000);
      const dockerReadyMs = Date.now() - started;
      ctx.progress(`docker ready after ${(dockerReadyMs / 1000).toFixed(1)}s; warming up`);
      await warmUp(machine, ctx);
      // Boot leaves in the page cache much that no lesson reads again, and every cached
      // page is in the snapshot. Drop it all, the daemons' mapped code and data included
      // (lab-pageout), then warm up again: with read-ahead off since boot, only the pages
      // Docker's paths touch come back (page cache 126 → 46 MB, snapshot 48 → 23 MB).
      await guestCommand(machine, '/usr/local/sbin/lab-pageout && sync && echo 3 > /proc/sys/vm/drop_caches');
      await warmUp(machine, ctx);
      // Read-ahead back on for the learner's programs. The running daemons keep reading
      // single pages of their own binaries: a file's read-ahead is fixed when it is opened.
      await guestCommand(machine, 'cat /run/lab/read_ahead_kb > /sys/block/sda/queue/read_ahead_kb && sync');
      const warmUpMs = Date.now() - started - dockerReadyMs;
      ctx.progress('saving the state');
      const state = await machine.saveState();
      const raw = path.join(ctx.out, 'state.bin');
      await writeFile(raw, new Uint8Array(state));
      ctx.progress(`compressing ${(state.byteLength / 1048576).toFixed(0)} MB of state`);
      await run('zstd', ['-q', '-T0', '-19', '--rm', raw, '-o', path.join(ctx.out, 'state.bin.zst')], { log: ctx.log });
      const info: SnapshotInfo = { buildId: manifest.buildId, rawSize: state.byteLength, bootMs, dockerReadyMs, warmUpMs };
      await writeFile(path.join(ctx.out, 'snapshot.json'), `${JSON.stringify(info, null, 2)}\n`);
    } catch (err) {
      const tail = consoleLog.join('').slice(-3000);
      throw new Error(`${(err as Error).message}\n--- guest console (last lines) ---\n${tail}`, { cause: err });
    } finally {
      await machine.destroy();
      await rm(layout, { recursive: true, force: true });
    }
  },
};
