// `npm run guest:smoke`: restores the built guest's snapshot in v86 under Node and
// runs real Docker commands through the agent, printing each timing. Exits
// non-zero on the first failure.
import { openReleaseVm } from './lib/node-vm.ts';

interface Check {
  name: string;
  command: string;
  expect: (stdout: string) => boolean;
  timeoutMs?: number;
}

const CHECKS: Check[] = [
  { name: 'docker version', command: 'docker version --format "{{.Server.Version}}"', expect: (out) => /^\d+\.\d+/.test(out) },
  { name: 'catalog preloaded', command: 'docker images --format "{{.Repository}}:{{.Tag}}"', expect: (out) => ['busybox:1.35', 'python:3.11-slim', 'nginx:1.22', 'debian:bookworm-slim'].every((ref) => out.includes(ref)) },
  { name: 'docker run busybox', command: 'docker run --rm busybox echo hello', expect: (out) => out.trim() === 'hello' },
  { name: 'docker run busybox (again)', command: 'docker run --rm busybox echo hello', expect: (out) => out.trim() === 'hello' },
  {
    name: 'two-step docker build',
    command: 'mkdir -p /tmp/smoke && cd /tmp/smoke && printf "FROM busybox\\nRUN echo built > /built\\nCMD cat /built\\n" > Dockerfile && docker build -q -t smoke . >/dev/null && docker run --rm smoke',
    expect: (out) => out.trim() === 'built',
    timeoutMs: 300_000,
  },
  {
    name: 'nginx with -p 8080:80',
    command: 'docker run -d --name smoke-web -p 8080:80 nginx >/dev/null && for i in $(seq 60); do curl -sf http://localhost:8080/ && break; sleep 1; done',
    expect: (out) => out.includes('Welcome to nginx'),
    timeoutMs: 180_000,
  },
  {
    name: 'pip install flask from the in-VM package index',
    command: 'docker run --rm python:3.11-slim sh -c "pip install -q flask==2.2.* && python -c \'import flask; print(flask.__version__)\'"',
    expect: (out) => out.trim().endsWith('2.2.2'),
    timeoutMs: 300_000,
  },
  { name: 'docker pull from the in-VM mirror', command: 'docker pull -q busybox:1.35', expect: (out) => out.includes('busybox:1.35') },
];

const started = Date.now();
const vm = await openReleaseVm({ from: 'snapshot' });
try {
  await vm.machine.agent.waitReady(120_000);
  console.log(`restored the snapshot of guest ${vm.manifest.buildId} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  let failed = 0;
  for (const check of CHECKS) {
    const result = await vm.machine.agent.exec(check.command, { timeoutMs: check.timeoutMs ?? 120_000 });
    const ok = result.exitCode === 0 && check.expect(result.stdout);
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${(result.ms / 1000).toFixed(2).padStart(7)}s  ${check.name}`);
    if (!ok) {
      failed++;
      console.log(`     exit ${result.exitCode}\n     stdout: ${result.stdout.trim().slice(0, 500)}\n     stderr: ${result.stderr.trim().slice(0, 500)}`);
    }
  }
  console.log(`${CHECKS.length - failed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
} finally {
  await vm.machine.destroy();
}
process.exit();
