import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRUNCATION_MARKER } from '../../workers/agent-client';
import { buildAgent, startAgent, type BuiltAgent, type RunningAgent } from './helpers/agent-harness';

let built: BuiltAgent;
let agent: RunningAgent;

beforeAll(async () => {
  built = buildAgent();
  agent = await startAgent(built.binary);
});

afterAll(async () => {
  await agent?.stop();
  built?.cleanup();
});

describe('lab-agent exec', () => {
  it('announces itself with a ready line carrying its version', () => {
    expect(agent.rawLines[0]).toBe('ready 1');
  });

  it('reports exit codes 0, 3 and 127 for an unknown command', async () => {
    const [ok, three, missing] = await Promise.all([
      agent.client.exec('true'),
      agent.client.exec('exit 3'),
      agent.client.exec('no-such-command-xyz'),
    ]);
    expect(ok.exitCode).toBe(0);
    expect(three.exitCode).toBe(3);
    expect(missing.exitCode).toBe(127);
    expect(missing.stderr).toMatch(/not found/);
  });

  it('reports 128+signal when the command dies from a signal', async () => {
    const r = await agent.client.exec('kill -9 $$');
    expect(r.exitCode).toBe(137);
    expect(r.timedOut || r.killed).toBe(false);
  });

  it('keeps stdout and stderr apart', async () => {
    const r = await agent.client.exec('echo to-out; echo to-err >&2; echo more-out');
    expect(r.stdout).toBe('to-out\nmore-out\n');
    expect(r.stderr).toBe('to-err\n');
  });

  it('runs in the given cwd with extra environment, and defaults to /root or /', async () => {
    const r = await agent.client.exec('pwd; echo "$GREETING|$SPACED"', {
      cwd: '/tmp',
      env: { GREETING: 'hello', SPACED: 'a b=c' },
    });
    expect(r.stdout).toBe('/tmp\nhello|a b=c\n');
    const d = await agent.client.exec('pwd');
    expect(d.stdout).toBe(existsSync('/root') ? '/root\n' : '/\n');
  });

  it('fails with 126 and a message when the cwd does not exist', async () => {
    const r = await agent.client.exec('true', { cwd: '/no/such/dir' });
    expect(r.exitCode).toBe(126);
    expect(r.stderr).toContain('chdir /no/such/dir');
  });

  it('feeds stdin bytes to the command, binary-exact', async () => {
    // Larger than a pipe buffer, so the agent must feed it across poll rounds.
    const bytes = new Uint8Array(150_000).map((_, i) => (i * 7) & 255);
    const r = await agent.client.exec('sha256sum', { stdin: bytes });
    expect(r.stdout.split(' ')[0]).toBe(createHash('sha256').update(bytes).digest('hex'));
    const text = await agent.client.exec('cat', { stdin: 'héllo\n' });
    expect(text.stdout).toBe('héllo\n');
    const none = await agent.client.exec('wc -c');
    expect(none.stdout.trim()).toBe('0');
  });

  it('kills the process group on timeout and says so', async () => {
    const t0 = Date.now();
    // `; echo` keeps sh from exec-ing sleep, so only a group kill ends both in time.
    const r = await agent.client.exec('sleep 30; echo never', { timeoutMs: 500 });
    const elapsed = Date.now() - t0;
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).toBe(137);
    expect(r.ms).toBeGreaterThanOrEqual(500);
    expect(elapsed).toBeLessThan(2000);
  });

  it('kills a running exec on request and marks it killed', async () => {
    let id = -1;
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const result = agent.client.exec('echo started; sleep 30; echo never', {
      onStart: (i) => (id = i),
      onStdout: () => started(),
    });
    await running;
    const t0 = Date.now();
    await agent.client.kill(id);
    const r = await result;
    expect(r.killed).toBe(true);
    expect(r.timedOut).toBe(false);
    expect(r.exitCode).toBe(137);
    expect(Date.now() - t0).toBeLessThan(1500);
    await expect(agent.client.kill(id)).rejects.toThrow(/no running exec/);
  });

  it('kills every running exec on killall, says how many, and serves the next request', async () => {
    let started = 0;
    let bothStarted!: () => void;
    const running = new Promise<void>((resolve) => (bothStarted = resolve));
    const onStdout = () => ++started === 2 && bothStarted();
    const results = [1, 2].map(() => agent.client.exec('echo started; sleep 30; echo never', { onStdout }));
    await running;
    expect(await agent.client.killAll()).toBe(2);
    for (const r of await Promise.all(results)) {
      expect(r.killed).toBe(true);
      expect(r.stdout).toBe('started\n');
    }
    expect(await agent.client.killAll()).toBe(0);
    expect((await agent.client.exec('echo after')).stdout).toBe('after\n');
  });

  it('delivers 1 MiB of output complete and exact', async () => {
    let chunks = 0;
    const r = await agent.client.exec("head -c 1048576 /dev/zero | tr '\\0' a", { onStdout: () => chunks++ });
    expect(r.stdout.length).toBe(1048576);
    expect(/^a+$/.test(r.stdout)).toBe(true);
    expect(r.truncated).toBe(false);
    expect(chunks).toBeGreaterThanOrEqual(256); // at most 4096 bytes per out line
  });

  it('truncates past 8 MiB with a visible marker and keeps serving', async () => {
    const r = await agent.client.exec("head -c 10000000 /dev/zero | tr '\\0' b");
    expect(r.truncated).toBe(true);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.endsWith(TRUNCATION_MARKER)).toBe(true);
    expect(r.stdout.length).toBe(8 * 1024 * 1024 + TRUNCATION_MARKER.length);
    expect(await agent.client.ping(2000)).toBeGreaterThan(0);
  }, 30_000);

  it('keeps multi-byte UTF-8 characters intact across 4096-byte chunk boundaries', async () => {
    const r = await agent.client.exec("printf 'x'; i=0; while [ $i -lt 3000 ]; do printf 'é€'; i=$((i+1)); done");
    expect(r.stdout).toBe('x' + 'é€'.repeat(3000));
  });

  it('runs 20 concurrent execs with correct, distinct outputs', async () => {
    const runs = Array.from({ length: 20 }, (_, i) =>
      agent.client.exec(`echo start-${i}; sleep 0.3; echo end-${i} >&2; exit ${i}`),
    );
    const t0 = Date.now();
    const results = await Promise.all(runs);
    expect(Date.now() - t0).toBeLessThan(3000); // concurrent, not 20 x 0.3 s in a row
    results.forEach((r, i) => {
      expect(r.stdout).toBe(`start-${i}\n`);
      expect(r.stderr).toBe(`end-${i}\n`);
      expect(r.exitCode).toBe(i);
    });
  });

  it('answers beyond 64 concurrent execs with busy, then recovers', async () => {
    const runs = Array.from({ length: 66 }, () => agent.client.exec('sleep 0.5').then(() => 'ok', (e: Error) => e.message));
    const outcomes = await Promise.all(runs);
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(64);
    expect(outcomes.filter((o) => o !== 'ok')).toEqual([expect.stringMatching(/busy/), expect.stringMatching(/busy/)]);
    expect((await agent.client.exec('echo again')).stdout).toBe('again\n');
  });

  it('ends an exec within a few seconds although a grandchild holds its output pipe', async () => {
    const t0 = Date.now();
    const r = await agent.client.exec('sleep 100 & echo $!; echo hi');
    const elapsed = Date.now() - t0;
    const [pid, hi] = r.stdout.split('\n');
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
    expect(hi).toBe('hi');
    expect(r.exitCode).toBe(0);
    expect(elapsed).toBeGreaterThanOrEqual(1900);
    expect(elapsed).toBeLessThan(4000);
  });

  it('answers a ping with a plausible uptime', async () => {
    const uptime = await agent.client.ping();
    expect(Number.isInteger(uptime)).toBe(true);
    expect(uptime).toBeGreaterThan(0);
  });
});
