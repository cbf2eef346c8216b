import type { AgentClient } from './agent-client';

/**
 * Polls `docker info` through the guest agent until dockerd answers. Every cold
 * boot waits this way: the lab's fallback, the build's snapshot and the benchmarks.
 * An exec that fails (the agent still busy past its time limit) counts as "not yet".
 */
export async function waitForDocker(agent: Pick<AgentClient, 'exec'>, withinMs: number, pollMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const result = await agent.exec('docker info >/dev/null 2>&1', { timeoutMs: 30_000 }).catch(() => null);
    if (result?.exitCode === 0) return;
    if (Date.now() > deadline) throw new Error(`the Docker engine did not start within ${Math.round(withinMs / 60_000)} minutes`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
