// v86 under Node: restore the shipped snapshot, run the workload, save the state.
import { gzipSync } from 'node:zlib';
import { openReleaseVm } from '../image-build/lib/node-vm.ts';
import { dockerWorkload, round, type Figure } from './workload.ts';

export async function benchV86Node(): Promise<Figure[]> {
  const started = Date.now();
  const vm = await openReleaseVm({ from: 'snapshot' });
  try {
    await vm.machine.agent.waitReady(120_000);
    const figures: Figure[] = [{ name: 'node_restore_to_agent_s', value: round((Date.now() - started) / 1000), unit: 's' }];
    const probe = await vm.machine.agent.exec('true');
    figures.push({ name: 'node_exec_true_ms', value: probe.ms, unit: 'ms' });
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
