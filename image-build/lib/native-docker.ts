import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { WriteStream } from 'node:fs';
import { chroot } from './chroot.ts';

/**
 * The guest's own i386 dockerd, containerd and registry, run natively on the
 * amd64 build host inside a chroot of the guest root filesystem. Building the
 * catalog here takes seconds; inside the emulator it would take many minutes and
 * every written block would end up in the snapshot.
 */
export class NativeDocker {
  private readonly children: ChildProcess[] = [];

  constructor(private readonly root: string, private readonly log: WriteStream) {}

  async start(): Promise<void> {
    await writeFile(path.join(this.root, 'run/daemon.json'), '{}\n');
    this.spawn('/usr/bin/docker-registry', ['serve', '/etc/docker/registry/config.yml']);
    this.spawn('/usr/bin/containerd', ['--config', '/etc/containerd/config.toml']);
    this.spawn('/usr/sbin/dockerd', [
      '--config-file', '/run/daemon.json', '--containerd', '/run/containerd/containerd.sock',
      '--data-root', '/var/lib/docker', '--storage-driver', 'overlay2',
      '--bridge', 'none', '--iptables=false', '--ip6tables=false',
      '--registry-mirror', 'http://127.0.0.1:5000', '--default-runtime', 'runc',
    ]);
    const deadline = Date.now() + 90_000;
    while ((await this.docker('docker version >/dev/null 2>&1', true)).code !== 0) {
      if (Date.now() > deadline) throw new Error('the build-time dockerd did not answer within 90 s (see the step log)');
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  docker(script: string, allowFailure = false, capture = false) {
    return chroot(this.root, script, { log: this.log, allowFailure, capture, env: { DOCKER_CONFIG: '/run/docker-cli', DOCKER_BUILDKIT: '0' } });
  }

  async stop(): Promise<void> {
    for (const child of [...this.children].reverse()) {
      if (child.exitCode !== null) continue;
      child.kill('SIGTERM');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => { child.kill('SIGKILL'); resolve(); }, 20_000);
        child.once('exit', () => { clearTimeout(timer); resolve(); });
      });
    }
  }

  private spawn(cmd: string, args: string[]) {
    const child = spawn('chroot', [this.root, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk) => this.log.write(chunk));
    child.stderr?.on('data', (chunk) => this.log.write(chunk));
    this.children.push(child);
  }
}
