// The shipped snapshot holds the pages Docker's paths touch, not the whole binaries
// that boot mapped (the snapshot step's lab-pageout and read-ahead-free warm-up), and
// the learner's session gets read-ahead back.
import { describe, expect, it } from 'vitest';
import { useSnapshotVm } from './helpers/snapshot-vm.ts';

const guest = useSnapshotVm();

async function cachedKb(): Promise<number> {
  const meminfo = await guest().machine.agent.exec('cat /proc/meminfo');
  return Number(/^Cached:\s+(\d+) kB$/m.exec(meminfo.stdout)![1]);
}

describe("the snapshot's page cache", () => {
  it('starts small, with read-ahead on again, and fills as the learner runs Docker', async () => {
    const agent = guest().machine.agent;
    // Whole binaries cached (before lab-pageout): 126 MB; dockerd's binary alone is 61 MB.
    const atResume = await cachedKb();
    expect(atResume).toBeLessThan(80 * 1024);

    const readAhead = await agent.exec('cat /sys/block/sda/queue/read_ahead_kb');
    expect(Number(readAhead.stdout)).toBeGreaterThan(0);

    // Pages left out of the snapshot come back from the disk when a command needs them.
    const build = await agent.exec('mkdir -p /tmp/pc && cd /tmp/pc && printf "FROM busybox\\nRUN echo cached > /x\\n" > Dockerfile'
      + ' && docker build -q -t page-cache-probe . >/dev/null && docker run --rm page-cache-probe cat /x', { timeoutMs: 300_000 });
    expect(build.exitCode, build.stderr).toBe(0);
    expect(build.stdout).toBe('cached\n');
    expect(await cachedKb()).toBeGreaterThan(atResume);
  }, 400_000);
});
