// One guest per test file, resumed from the built release's snapshot under v86 in
// Node (the same Machine wrapper the browser worker uses), ready for the agent.
import { afterAll, beforeAll } from 'vitest';
import { openReleaseVm, type NodeVm } from '../../../image-build/lib/node-vm.ts';

/** Returns a getter: the VM exists only once beforeAll has run. */
export function useSnapshotVm(): () => NodeVm {
  let vm: NodeVm | undefined;
  beforeAll(async () => {
    vm = await openReleaseVm({ from: 'snapshot' });
    await vm.machine.agent.waitReady(120_000);
  }, 180_000);
  afterAll(async () => {
    await vm?.machine.destroy();
  });
  return () => {
    if (!vm) throw new Error('the guest has not started (see the beforeAll error)');
    return vm;
  };
}
