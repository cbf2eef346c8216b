import { describe, expect, it } from 'vitest';
import type { AgentClient, AgentExecOptions } from '../../workers/agent-client';
import { DockerWarmUp, WARM_UP_COMMAND } from '../../workers/warm-up';

/** An agent whose exec stays open until the test ends it; kill records the id it got. */
function fakeAgent() {
  const killed: number[] = [];
  let started: AgentExecOptions['onStart'];
  let finish: () => void = () => {};
  const commands: string[] = [];
  const agent = {
    exec(command: string, options: AgentExecOptions) {
      commands.push(command);
      started = options.onStart;
      return new Promise((resolve) => (finish = () => resolve({ exitCode: 137 })));
    },
    kill(id: number) {
      killed.push(id);
      finish();
      return Promise.resolve();
    },
  };
  return { agent: agent as unknown as AgentClient, killed, commands, sendStarted: (id: number) => started?.(id) };
}

describe('DockerWarmUp', () => {
  it('runs docker in the background and kills it once the learner is at work', async () => {
    const { agent, killed, commands, sendStarted } = fakeAgent();
    const warmUp = new DockerWarmUp(agent);
    const done = warmUp.start();
    sendStarted(7);
    expect(commands).toEqual([WARM_UP_COMMAND]);
    expect(WARM_UP_COMMAND).toContain('docker run --rm busybox true');
    warmUp.stop();
    warmUp.stop();
    await done;
    expect(killed).toEqual([7]);
  });

  it('kills a warm-up the learner overtook before the agent had even started it', () => {
    const { agent, killed, sendStarted } = fakeAgent();
    const warmUp = new DockerWarmUp(agent);
    void warmUp.start();
    warmUp.stop();
    expect(killed).toEqual([]);
    sendStarted(3);
    expect(killed).toEqual([3]);
  });
});
