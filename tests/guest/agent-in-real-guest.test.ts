// The agent protocol over the real guest's serial port, in v86 under Node:
// the same Machine wrapper and snapshot the browser uses, no native stand-in.
import { describe, expect, it } from 'vitest';
import { useSnapshotVm } from './helpers/snapshot-vm.ts';

const guest = useSnapshotVm();

describe('lab-agent in the real guest', () => {
  it('reports exit codes and keeps stdout and stderr apart', async () => {
    const agent = guest().machine.agent;
    expect((await agent.exec('true')).exitCode).toBe(0);
    expect((await agent.exec('exit 3')).exitCode).toBe(3);
    expect((await agent.exec('no-such-command-here')).exitCode).toBe(127);
    const both = await agent.exec('echo out; echo err >&2');
    expect(both.stdout).toBe('out\n');
    expect(both.stderr).toBe('err\n');
  });

  it('runs in the given directory with the given environment and input', async () => {
    const result = await guest().machine.agent.exec('pwd; echo "$LESSON"; cat', { cwd: '/etc', env: { LESSON: 'layers' }, stdin: 'from stdin' });
    expect(result.stdout).toBe('/etc\nlayers\nfrom stdin');
  });

  it('kills a command that outlives its timeout and says so', async () => {
    const result = await guest().machine.agent.exec('sleep 60', { timeoutMs: 2000 });
    expect(result.timedOut).toBe(true);
    expect(result.ms).toBeLessThan(20_000);
    expect((await guest().machine.agent.exec('echo still here')).stdout).toBe('still here\n');
  });

  it('carries 1 MB of output intact', async () => {
    const result = await guest().machine.agent.exec("head -c 1048576 /dev/zero | tr '\\0' x", { timeoutMs: 240_000 });
    expect(result.exitCode).toBe(0);
    expect(result.stdout.length).toBe(1048576);
    expect(/^x+$/.test(result.stdout)).toBe(true);
  }, 300_000);

  it('answers 20 concurrent commands, each with its own output', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => guest().machine.agent.exec(`echo job-${i}`)));
    expect(results.map((r) => r.stdout)).toEqual(Array.from({ length: 20 }, (_, i) => `job-${i}\n`));
  }, 120_000);

  it('writes and reads back binary files byte for byte', async () => {
    const data = new Uint8Array(300 * 1024);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 8)) & 0xff;
    await guest().machine.agent.writeFile('/root/lesson/blob.bin', data);
    const sum = await guest().machine.agent.exec('wc -c < /root/lesson/blob.bin');
    expect(sum.stdout.trim()).toBe(String(data.length));
    const back = await guest().machine.agent.readFile('/root/lesson/blob.bin');
    expect(back).toEqual(data);
  }, 240_000);

  it('runs a real container', async () => {
    const result = await guest().machine.agent.exec('docker run --rm busybox echo hello from a container', { timeoutMs: 180_000 });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('hello from a container\n');
  }, 200_000);
});
