// waitForDocker: how every cold boot decides that dockerd is up.
import { describe, expect, it, vi } from 'vitest';
import type { AgentExecResult } from '../../workers/agent-client';
import { waitForDocker } from '../../workers/docker-ready';

function agentAnswering(answers: Array<number | Error>) {
  const commands: string[] = [];
  return {
    commands,
    exec: async (command: string): Promise<AgentExecResult> => {
      commands.push(command);
      const answer = answers.shift() ?? 1;
      if (answer instanceof Error) throw answer;
      return { exitCode: answer, stdout: '', stderr: '', ms: 1 } as AgentExecResult;
    },
  };
}

describe('waitForDocker', () => {
  it('asks `docker info` until it succeeds, counting a failed exec as not yet', async () => {
    const agent = agentAnswering([1, new Error('the command timed out'), 0]);
    await waitForDocker(agent, 5_000, 1);
    expect(agent.commands).toEqual(Array(3).fill('docker info >/dev/null 2>&1'));
  });

  it('gives up with a clear error once the time is up', async () => {
    vi.useFakeTimers();
    try {
      const agent = agentAnswering([]);
      const waiting = waitForDocker(agent, 10 * 60_000, 2_000);
      const settled = expect(waiting).rejects.toThrow('the Docker engine did not start within 10 minutes');
      await vi.advanceTimersByTimeAsync(10 * 60_000 + 2_000);
      await settled;
      expect(agent.commands.length).toBeGreaterThan(300);
    } finally {
      vi.useRealTimers();
    }
  });
});
