// A learner's save resumed in the real guest under v86, as the browser worker does
// it (a buffer handed to the Machine): the state read in frames from the paused
// guest's memory is the one v86 makes, the guest carries on where it was (an exec
// the save caught running is ended by the agent's killall), and the
// state's bytes (~200 MB) are let go once v86 has restored them, its RAM is
// read in place (v86's layout is the one ram-view-restore.ts expects), and the
// lab's JIT setting (one page per compiled module) holds after either kind of resume.
import { readFile } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { openReleaseVm, type NodeVm } from '../../image-build/lib/node-vm.ts';
import { lendPackedMemory } from '../../workers/ram-view-restore.ts';

const machines: NodeVm[] = [];

afterAll(async () => {
  for (const vm of machines) await vm.machine.destroy();
});

describe('resuming a saved state in the real guest', () => {
  it('saves without copying the RAM whole, carries on from the save (ending the execs it caught running), reads its RAM in place, releases the state buffer and keeps the JIT setting', async () => {
    const first = await openReleaseVm({ from: 'snapshot' });
    machines.push(first);
    await first.machine.agent.waitReady(120_000);
    expect(first.machine.jitModulePages()).toBe(1);
    const token = `saved-${Date.now()}`;
    expect((await first.machine.agent.exec(`echo ${token} > /root/resume-proof && sync`)).exitCode).toBe(0);
    // Running when the state is taken: in the resumed guest it belongs to no session.
    first.machine.agent.exec('sleep 618', { timeoutMs: 900_000 }).catch(() => undefined);
    expect((await first.machine.agent.exec('pgrep -f "slee[p] 618"')).exitCode).toBe(0);
    // Read in frames from the guest's memory (ram-view-save.ts), the state is the
    // one v86's own save_state makes, byte for byte but for the clock values, in
    // which v86's saves in a row differ too (four of them: a clock byte can come
    // out the same in two by chance); it is what gets resumed below.
    await first.machine.pause();
    const before = new Uint8Array(await first.machine.saveState());
    const source = await first.machine.takeState();
    const clock = new Uint8Array(before.length);
    for (let i = 0; i < 4; i++) {
      await new Promise((resolve) => setTimeout(resolve, 3));
      const later = new Uint8Array(await first.machine.saveState());
      expect(later.length).toBe(before.length);
      for (let at = 0; at < before.length; at++) if (later[at] !== before[at]) clock[at] = 1;
    }
    expect(source.byteLength).toBe(before.length);
    const frame = 16 * 1024 * 1024;
    let clockBytes = 0;
    for (let offset = 0; offset < before.length; offset += frame) {
      const piece = source.read(offset, frame);
      expect(piece.length).toBe(Math.min(frame, before.length - offset));
      for (let i = 0; i < piece.length; i++) {
        const at = offset + i;
        if (clock[at]) clockBytes++;
        else if (piece[i] !== before[at]) throw new Error(`byte ${at} differs from v86's save`);
      }
    }
    expect(clockBytes).toBeLessThan(64);
    const state = source.read(0, source.byteLength).buffer as ArrayBuffer;
    await first.machine.destroy();
    machines.pop();
    const bytes = state.byteLength;
    expect(bytes).toBeGreaterThan(50 * 1024 * 1024);
    // On a copy: the guest's packed RAM is found where v86 0.5 puts it, whole pages of it.
    const ram = lendPackedMemory(state.slice(0));
    expect(ram?.length).toBeGreaterThan(40 * 1024 * 1024);
    expect(ram!.length % 4096).toBe(0);

    const resumed = await openReleaseVm({ from: { saved: state } });
    machines.push(resumed);
    await resumed.machine.started;
    await resumed.machine.agent.waitReady(120_000);
    expect((await resumed.machine.agent.exec('cat /root/resume-proof')).stdout).toBe(`${token}\n`);
    expect(await resumed.machine.agent.killAll()).toBeGreaterThanOrEqual(1);
    expect((await resumed.machine.agent.exec('sleep 0.5; pgrep -f "slee[p] 618"')).exitCode).toBe(1);
    expect(resumed.machine.jitModulePages()).toBe(1);
    // Detached: whoever still holds the buffer no longer holds its bytes.
    expect(state.byteLength).toBe(0);
    const run = await resumed.machine.agent.exec('docker run --rm busybox echo resumed', { timeoutMs: 180_000 });
    expect(run.stdout).toBe('resumed\n');
  }, 600_000);

  it('saves once the disk reads in flight are answered, and the resumed guest reads on without a disk error', async () => {
    // Every disk part takes 40 ms to come, so a first read of a 61 MB file keeps reads in flight.
    const slowly = async (file: string) => {
      const bytes = await readFile(file);
      if (file.includes('/disk/')) await new Promise((resolve) => setTimeout(resolve, 40));
      return bytes;
    };
    const file = '/usr/libexec/docker/cli-plugins/docker-compose';
    const first = await openReleaseVm({ from: 'snapshot', readFile: slowly });
    machines.push(first);
    await first.machine.agent.waitReady(120_000);
    const before = first.machine.disk.stats().partsFetched;
    first.machine.agent.exec(`sha256sum ${file}`, { timeoutMs: 900_000 }).catch(() => undefined);
    while (first.machine.disk.stats().partsFetched < before + 5) await new Promise((resolve) => setTimeout(resolve, 20));
    await first.machine.pause();
    const source = await first.machine.takeState();
    const state = source.read(0, source.byteLength).buffer as ArrayBuffer;
    await first.machine.destroy();
    machines.pop();

    const resumed = await openReleaseVm({ from: { saved: state } });
    machines.push(resumed);
    await resumed.machine.started;
    await resumed.machine.agent.waitReady(120_000);
    const sum = await resumed.machine.agent.exec(`sha256sum ${file}`, { timeoutMs: 300_000 });
    expect(sum.exitCode, sum.stderr).toBe(0);
    // A state taken with a disk request unanswered leaves it to the kernel's 30 s timeout and an I/O error.
    expect((await resumed.machine.agent.exec('dmesg')).stdout).not.toMatch(/I\/O error|exception Emask/);
    await resumed.machine.destroy();
    machines.pop();

    // The same file read by a guest that was never interrupted.
    const reference = await openReleaseVm({ from: 'snapshot' });
    machines.push(reference);
    await reference.machine.agent.waitReady(120_000);
    const expected = await reference.machine.agent.exec(`sha256sum ${file}`, { timeoutMs: 300_000 });
    expect(sum.stdout).toBe(expected.stdout);
  }, 900_000);
});
