// v86 does not save its compiled code with a machine state, so right after a
// resume the emulator runs Docker's large Go binaries through a cold JIT: in
// Chromium the first `docker run` took 11-14 s and it took about eight runs to
// come down to 4-5 s (v86 compiles a page only once it has run 200 000
// instructions interpreted). Running that path in the background, while the
// learner reads the lesson, pays the cost before they type. It steps aside as
// soon as the learner runs a docker command of their own, since both would
// then compete for the one emulated CPU.

import type { AgentClient } from './agent-client';

export const WARM_UP_RUNS = 6;

export const WARM_UP_COMMAND = [
  `for i in $(seq ${WARM_UP_RUNS}); do`,
  '  pgrep -x docker >/dev/null && break',
  '  nice -n 10 docker run --rm busybox true >/dev/null 2>&1',
  'done',
  'pgrep -x docker >/dev/null || nice -n 10 docker ps >/dev/null 2>&1',
].join('\n');

/** Fire and forget: a failed warm-up costs nothing but its time. */
export function warmUpDocker(agent: AgentClient): Promise<void> {
  return agent.exec(WARM_UP_COMMAND, { timeoutMs: 600_000 }).then(() => undefined, () => undefined);
}
