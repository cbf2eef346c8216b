// The same kernel, initramfs and disk under QEMU's software emulator (TCG, no KVM):
// the best-known emulator as a yardstick for v86. The agent talks over QEMU's
// second serial port, exposed as a unix socket, with the very same AgentClient.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { AgentClient } from '../workers/agent-client.ts';
import { waitForDocker } from '../workers/docker-ready.ts';
import type { GuestManifest } from '../workers/guest-manifest.ts';
import { CACHE_ROOT, OUT_LINK } from '../image-build/lib/paths.ts';
import { dockerWorkload, round, type Figure } from './workload.ts';

const QEMU = '/usr/bin/qemu-system-i386';

async function findDiskImage(manifest: GuestManifest): Promise<string> {
  const dir = path.join(CACHE_ROOT, 'disk');
  for (const key of await readdir(dir)) {
    const info = path.join(dir, key, 'disk.json');
    if (existsSync(info) && JSON.parse(await readFile(info, 'utf8')).sha256 === manifest.disk.sha256) return path.join(dir, key, 'disk.img');
  }
  throw new Error('the disk image of the current guest release is not in build/guest/cache/disk');
}

export async function benchQemu(): Promise<Figure[]> {
  if (!existsSync(QEMU)) throw new Error(`${QEMU} is missing: apt-get install qemu-system-x86 (npm run bench installs it as root)`);
  const manifest = JSON.parse(await readFile(path.join(OUT_LINK, 'manifest.json'), 'utf8')) as GuestManifest;
  const disk = await findDiskImage(manifest);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'lab-qemu-'));
  const socket = path.join(tmp, 'agent.sock');
  const started = Date.now();
  const qemu = spawn(QEMU, [
    '-m', String(manifest.machine.memorySize / 1048576), '-cpu', 'qemu32', '-accel', 'tcg',
    '-display', 'none', '-monitor', 'none', '-nic', 'none', '-no-reboot',
    '-kernel', path.join(OUT_LINK, manifest.kernel.path), '-initrd', path.join(OUT_LINK, manifest.initrd.path),
    '-append', manifest.machine.cmdline,
    // snapshot=on: the guest's writes go to a temporary file, never to the cached image.
    '-drive', `file=${disk},format=raw,if=ide,snapshot=on`,
    '-serial', `file:${path.join(tmp, 'console.log')}`,
    '-serial', `unix:${socket},server=on,wait=off`,
  ], { stdio: 'ignore' });
  try {
    while (!existsSync(socket)) await new Promise((resolve) => setTimeout(resolve, 100));
    const connection = net.connect(socket);
    const agent = new AgentClient((bytes) => connection.write(bytes));
    connection.on('data', (chunk: Buffer) => agent.feed(new Uint8Array(chunk)));
    await agent.waitReady(300_000);
    await waitForDocker(agent, 600_000, 1000);
    const figures: Figure[] = [{ name: 'qemu_cold_boot_s', value: round((Date.now() - started) / 1000), unit: 's' }];
    figures.push(...await dockerWorkload((command, timeoutMs) => agent.exec(command, { timeoutMs }), 'qemu_', { full: false }));
    connection.destroy();
    return figures;
  } finally {
    qemu.kill('SIGKILL');
    await rm(tmp, { recursive: true, force: true });
  }
}
