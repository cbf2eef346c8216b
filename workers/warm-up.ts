// v86 does not save its compiled code with a machine state, so right after a
// resume the emulator runs Docker's large Go binaries through a cold JIT and the
// learner's first `docker run` can take several times longer than later ones.
// Running the same path once in the background, while the learner reads the
// lesson, pays that cost before they type.

import type { AgentClient } from './agent-client';

export const WARM_UP_COMMAND = 'nice -n 10 docker run --rm busybox true >/dev/null 2>&1; nice -n 10 docker ps >/dev/null 2>&1';

/** Fire and forget: a failed warm-up costs nothing but its time. */
export function warmUpDocker(agent: AgentClient): Promise<void> {
  return agent.exec(WARM_UP_COMMAND, { timeoutMs: 180_000 }).then(() => undefined, () => undefined);
}
