// v86 under Node: a cold boot to `docker info`; then restore the shipped snapshot,
// run the workload, save the state.
import { gzipSync } from 'node:zlib';
import { openReleaseVm } from '../image-build/lib/node-vm.ts';
import { waitForDocker } from '../workers/docker-ready.ts';
import { dockerWorkload, round, type Figure } from './workload.ts';

/**
 * The boot a learner gets when there is no snapshot, with the release's own kernel
 * command line (the snapshot step's boot reads files differently: see rc.sysinit).
 */
async function coldBootToDocker(): Promise<Figure> {
  const started = Date.now();
  const vm = await openReleaseVm({ from: 'cold' });
  try {
    await vm.machine.agent.waitReady(300_000);
    await waitForDocker(vm.machine.agent, 600_000, 500);
    return { name: 'cold_boot_s', value: round((Date.now() - started) / 1000), unit: 's' };
  } finally {
    await vm.machine.destroy();
  }
}

/** What the guest's own `df` says its disk holds, as shipped (read before the workload writes). */
async function diskUsed(exec: (command: string) => Promise<{ exitCode: number; stdout: string; stderr: string }>): Promise<Figure> {
  const df = await exec('df -B1 --output=used / | tail -1');
  const used = Number(df.stdout.trim());
  if (df.exitCode !== 0 || !Number.isFinite(used)) throw new Error(`df in the guest failed: ${df.stderr.trim()}`);
  return { name: 'guest_disk_used_mb', value: round(used / 1048576), unit: 'MB' };
}

export async function benchV86Node(): Promise<Figure[]> {
  const coldBoot = await coldBootToDocker();
  const started = Date.now();
  const vm = await openReleaseVm({ from: 'snapshot' });
  try {
    await vm.machine.agent.waitReady(120_000);
    const figures: Figure[] = [coldBoot, { name: 'node_restore_to_agent_s', value: round((Date.now() - started) / 1000), unit: 's' }];
    const probe = await vm.machine.agent.exec('true');
    figures.push({ name: 'node_exec_true_ms', value: probe.ms, unit: 'ms' });
    figures.push(await diskUsed((command) => vm.machine.agent.exec(command)));
    figures.push(...await dockerWorkload((command, timeoutMs) => vm.machine.agent.exec(command, { timeoutMs }), 'node_'));
    const saveStarted = Date.now();
    const state = await vm.machine.saveState();
    figures.push({ name: 'node_save_s', value: round((Date.now() - saveStarted) / 1000), unit: 's' });
    figures.push({ name: 'node_saved_state_gzip_mb', value: round(gzipSync(new Uint8Array(state), { level: 6 }).byteLength / 1048576), unit: 'MB' });
    return figures;
  } finally {
    await vm.machine.destroy();
  }
}
