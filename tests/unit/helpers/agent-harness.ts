// Builds lab-agent natively and runs it on stdin/stdout pipes (argv[1] `-`),
// wired to a real AgentClient, so tests exercise the real C code end to end.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentClient } from '../../../workers/agent-client';

export const AGENT_SOURCE = fileURLToPath(new URL('../../../guest-rootfs/agent/lab-agent.c', import.meta.url));

/** The flags the tests hold the agent to; warnings are errors. */
export const STRICT_FLAGS = ['-std=c11', '-O2', '-Wall', '-Wextra', '-Werror'];

export interface BuiltAgent {
  binary: string;
  cleanup(): void;
}

/** Compiles lab-agent.c into a fresh temp dir; throws with gcc's output on failure. */
export function buildAgent(extraFlags: string[] = []): BuiltAgent {
  const dir = mkdtempSync(join(tmpdir(), 'lab-agent-'));
  const binary = join(dir, 'lab-agent');
  execFileSync('gcc', [...STRICT_FLAGS, ...extraFlags, '-o', binary, AGENT_SOURCE], { stdio: 'pipe' });
  return { binary, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface RunningAgent {
  client: AgentClient;
  proc: ChildProcess;
  /** Short reply lines seen on the wire (long data lines are skipped), oldest first. */
  rawLines: string[];
  /** Bytes straight onto the agent's input, bypassing the client. */
  sendRaw(data: string | Uint8Array): void;
  /** Resolves with the first raw line (already seen or future) matching the test. */
  waitForLine(test: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
}

export async function startAgent(binary: string, requestTimeoutMs = 30_000): Promise<RunningAgent> {
  const proc = spawn(binary, ['-'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const client = new AgentClient((bytes) => proc.stdin!.write(bytes), { requestTimeoutMs });
  const rawLines: string[] = [];
  const watchers = new Set<() => void>();
  let partial = '';
  proc.stdout!.on('data', (chunk: Buffer) => {
    client.feed(chunk);
    const text = partial + chunk.toString('latin1');
    const lines = text.split('\n');
    partial = lines.pop()!.slice(-2000);
    for (const line of lines) if (line.length < 2000) rawLines.push(line);
    if (rawLines.length > 10_000) rawLines.splice(0, rawLines.length - 10_000);
    for (const w of watchers) w();
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const agent: RunningAgent = {
    client,
    proc,
    rawLines,
    sendRaw: (data) => void proc.stdin!.write(data),
    waitForLine: (test, timeoutMs = 5000) =>
      new Promise<string>((resolve, reject) => {
        const check = () => {
          const hit = rawLines.find(test);
          if (hit === undefined) return;
          watchers.delete(check);
          clearTimeout(timer);
          resolve(hit);
        };
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(new Error(`no matching line within ${timeoutMs} ms; last lines: ${rawLines.slice(-5).join(' | ')}`));
        }, timeoutMs);
        watchers.add(check);
        check();
      }),
    stop: async () => {
      client.abortAll('test agent stopped');
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.stdin!.end();
        const t = setTimeout(() => proc.kill('SIGKILL'), 2000);
        await exited;
        clearTimeout(t);
      }
    },
  };
  await client.waitReady(5000);
  return agent;
}
