import { readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { diskPartPath } from '../../workers/disk-parts.ts';
import { Machine } from '../../workers/machine.ts';
import { layOutGuest } from '../lib/release-layout.ts';
import type { Step, StepContext } from '../pipeline.ts';

/**
 * A learner's first commands, in the order the lessons meet them. The parts of the
 * disk they read after a resume are what the shipped snapshot left on the disk:
 * Docker's less used code (build, `-p`), the images' layers, Python.
 */
const FIRST_COMMANDS = [
  'docker version',
  'docker ps',
  'docker images',
  'docker run --rm busybox echo hi',
  'docker run --rm busybox echo hi',
  'docker run --rm busybox echo hi',
  'docker run -d --name lab-disk-usage -p 8099:80 nginx && for i in $(seq 120); do curl -sf http://localhost:8099/ >/dev/null && exit 0; sleep 0.5; done; exit 1',
  'docker rm -f lab-disk-usage',
  'mkdir -p /tmp/lab-disk-usage && cd /tmp/lab-disk-usage && printf "FROM busybox\\nRUN echo built > /built\\n" > Dockerfile && docker build -t lab-disk-usage . && docker run --rm lab-disk-usage cat /built',
  'docker run --rm python:3.11-slim python -c "print(1)"',
];

export interface DiskUsage {
  buildId: string;
  /** Disk parts in the order the commands first read them. */
  parts: number[];
  commands: Array<{ command: string; ms: number; newParts: number }>;
}

/**
 * Resumes the snapshot under Node, runs a learner's first commands and records which
 * disk parts they read, in order. The lab fetches those parts in the background once
 * it is ready (workers/disk-prefetch.ts), so a first visit's commands find them cached
 * instead of waiting on the network one part at a time.
 */
export const diskUsageStep: Step = {
  name: 'disk-usage',
  description: "disk parts a learner's first commands read after a resume (prefetched by the lab)",
  deps: ['kernel', 'initramfs', 'disk', 'snapshot'],
  sources: ['image-build/steps/disk-usage.ts', 'workers/machine.ts', 'workers/lazy-disk.ts', 'workers/disk-parts.ts'],
  settings: { commands: FIRST_COMMANDS, format: 1 },
  async run(ctx: StepContext) {
    const layout = path.join(ctx.out, '.layout');
    const manifest = await layOutGuest(layout, {
      kernelDir: ctx.input('kernel'), initramfsDir: ctx.input('initramfs'), diskDir: ctx.input('disk'),
    });
    const partIndex = new Map<string, number>();
    for (let i = 0; i < manifest.disk.parts; i++) partIndex.set(path.join(layout, diskPartPath(manifest.disk, i)), i);
    const read: number[] = [];
    const seen = new Set<number>();
    const machine = new Machine({
      manifest,
      resolve: (relative) => path.join(layout, relative),
      wasmPath: createRequire(import.meta.url).resolve('v86/build/v86.wasm'),
      state: { kind: 'snapshot', url: path.join(ctx.input('snapshot'), 'state.bin.zst') },
      readFile: (file) => {
        const index = partIndex.get(file);
        if (index !== undefined && !seen.has(index)) {
          seen.add(index);
          read.push(index);
        }
        return readFile(file);
      },
    });
    const usage: DiskUsage = { buildId: manifest.buildId, parts: read, commands: [] };
    try {
      await machine.loaded;
      ctx.progress('resuming the snapshot');
      await machine.agent.waitReady(120_000);
      for (const command of FIRST_COMMANDS) {
        const before = read.length;
        const result = await machine.agent.exec(command, { timeoutMs: 300_000 });
        ctx.log.write(`\n[disk-usage] ${command} → ${result.exitCode} in ${result.ms} ms, ${read.length - before} new parts\n${result.stdout}${result.stderr}`);
        if (result.exitCode !== 0) throw new Error(`\`${command}\` failed in the guest: ${result.stderr.trim()}`);
        usage.commands.push({ command, ms: result.ms, newParts: read.length - before });
        ctx.progress(`${read.length} parts after \`${command.slice(0, 40)}\``);
      }
    } finally {
      await machine.destroy();
      await rm(layout, { recursive: true, force: true });
    }
    await writeFile(path.join(ctx.out, 'disk-usage.json'), `${JSON.stringify(usage, null, 2)}\n`);
  },
};
