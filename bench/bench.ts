// `npm run bench`: measures the lab as a learner meets it (production build in
// Chromium; the tab's memory in a second, uninstrumented run), v86 under Node,
// and the same guest under QEMU TCG for comparison.
// Prints a table and writes bench/results.json. Figures are reported, never asserted.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { OUT_LINK, REPO_ROOT } from '../image-build/lib/paths.ts';
import { benchBrowser } from './browser.ts';
import { benchQemu } from './qemu.ts';
import { benchTabMemory } from './tab-memory.ts';
import { benchV86Node } from './v86-node.ts';
import { round, type Figure } from './workload.ts';

const { values } = parseArgs({ options: { only: { type: 'string', multiple: true } } });
const parts: Record<string, () => Promise<Figure[]>> = { browser: benchBrowser, memory: benchTabMemory, node: benchV86Node, qemu: benchQemu };
const selected = values.only ?? Object.keys(parts);

function buildFigures(): Figure[] {
  const manifest = JSON.parse(readFileSync(path.join(OUT_LINK, 'manifest.json'), 'utf8'));
  return [
    { name: 'snapshot_mb', value: round(manifest.snapshot.size / 1048576), unit: 'MB' },
    { name: 'snapshot_raw_mb', value: round(manifest.snapshot.rawSize / 1048576), unit: 'MB' },
    { name: 'full_offline_download_mb', value: round((manifest.disk.servedBytes + manifest.snapshot.size + manifest.kernel.size + manifest.initrd.size + manifest.bios.size + manifest.vgaBios.size) / 1048576), unit: 'MB' },
  ];
}

const resultsFile = path.join(REPO_ROOT, 'bench/results.json');
// A partial run (--only) updates its own figures and keeps the others from the last run.
const previous: Figure[] = values.only && existsSync(resultsFile) ? JSON.parse(readFileSync(resultsFile, 'utf8')) : [];
const figures: Figure[] = buildFigures();
const errors: string[] = [];
execFileSync('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: REPO_ROOT, stdio: 'inherit' });
for (const name of selected) {
  const started = Date.now();
  console.log(`\n▶ ${name}`);
  try {
    const measured = await parts[name]!();
    // v86 is very sensitive to other load on the machine: each part records it.
    measured.push({ name: `host_load_${name}`, value: round(os.loadavg()[0]!), unit: '' });
    figures.push(...measured);
    for (const figure of measured) console.log(`  ${figure.name.padEnd(32)} ${String(figure.value).padStart(9)} ${figure.unit}${figure.runs ? `  runs: ${figure.runs.join(', ')}` : ''}`);
  } catch (err) {
    errors.push(`${name}: ${(err as Error).message}`);
    console.error(`  ✗ ${name} failed: ${(err as Error).message}`);
  }
  console.log(`  (${((Date.now() - started) / 1000).toFixed(0)} s)`);
}

// The first ratio sets v86's first runs after a restore (its JIT starts cold) against
// QEMU's, the second v86 once its JIT has compiled what `docker run` executes.
const RATIOS = [
  ['docker_run_ratio_v86_qemu', 'docker_run_warm_median_s', 'qemu_docker_run_warm_median_s'],
  ['docker_run_jit_warm_ratio_v86_qemu', 'docker_run_jit_warm_median_s', 'qemu_docker_run_warm_median_s'],
  ['todo_build_ratio_v86_qemu', 'todo_build_cold_s', 'qemu_todo_build_cold_s'],
] as const;
// Ratios are recomputed below from the figures as merged, never carried over.
const isRatio = (name: string) => RATIOS.some(([ratio]) => ratio === name);
for (const old of previous) if (!isRatio(old.name) && !figures.some((figure) => figure.name === old.name)) figures.push(old);
const byName = new Map(figures.map((figure) => [figure.name, figure.value]));
for (const [name, v86, qemu] of RATIOS) {
  if (byName.has(v86) && byName.has(qemu)) figures.push({ name, value: round(byName.get(v86)! / byName.get(qemu)!), unit: 'x' });
}

console.log('\n| figure | value |\n|---|---|');
for (const figure of figures) console.log(`| ${figure.name} | ${figure.value} ${figure.unit} |`);
writeFileSync(resultsFile, `${JSON.stringify(figures, null, 2)}\n`);
if (errors.length) {
  console.error(`\nSome parts failed:\n${errors.join('\n')}`);
  process.exitCode = 1;
}
