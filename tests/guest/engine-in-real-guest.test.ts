// The engine the guest runs is Debian's docker.io rebuilt by the pipeline's engine
// step as position-dependent executables, and it is the one that answers.
import { describe, expect, it } from 'vitest';
import { useSnapshotVm } from './helpers/snapshot-vm.ts';

const guest = useSnapshotVm();

describe("the guest's rebuilt Docker engine", () => {
  it('runs dockerd and the CLI as position-dependent executables of the packaged version', async () => {
    const agent = guest().machine.agent;
    // ELF e_type: 2 is a position-dependent executable, 3 a PIE (Debian's own build).
    const types = await agent.exec('for f in /usr/sbin/dockerd /usr/bin/docker /usr/sbin/docker-proxy; do echo "$f $(od -An -tu2 -j16 -N2 "$f" | tr -d " ")"; done');
    expect(types.stdout).toBe('/usr/sbin/dockerd 2\n/usr/bin/docker 2\n/usr/sbin/docker-proxy 2\n');

    const engine = guest().manifest.versions.engine;
    expect(engine).toMatch(/^docker\.io \S+ without PIE \(go[\d.]+\)$/);
    const packaged = guest().manifest.versions['docker.io']!.replace(/\+b\d+$/, '');
    expect(engine).toContain(`docker.io ${packaged} `);

    const versions = await agent.exec("docker version --format '{{.Client.Version}} {{.Server.Version}}'", { timeoutMs: 60_000 });
    expect(versions.exitCode, versions.stderr).toBe(0);
    const upstream = packaged.replace(/-[^-]+$/, '');
    expect(versions.stdout).toBe(`${upstream} ${upstream}\n`);

    const run = await agent.exec('docker run --rm busybox echo engine', { timeoutMs: 120_000 });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toBe('engine\n');
  }, 300_000);
});
