// v86 does not save its compiled code with a machine state, so right after a
// resume the emulator runs Docker's large Go binaries through a cold JIT: in
// Chromium the first `docker run` took 11-14 s and it took about eight runs to
// come down to 4-5 s (v86 compiles a page only once it has run 200 000
// instructions interpreted). Running that path in the background, while the
// learner reads the lesson, pays the cost before they type. As soon as the
// learner does something (types, runs a step, checks one) the warm-up is
// killed: both would compete for the one emulated CPU, and the learner's own
// commands heat the same code.

import type { AgentClient } from './agent-client';

export const WARM_UP_RUNS = 6;

export const WARM_UP_COMMAND = `for i in $(seq ${WARM_UP_RUNS}); do nice -n 10 docker run --rm busybox true >/dev/null 2>&1; done; nice -n 10 docker ps >/dev/null 2>&1`;

export class DockerWarmUp {
  private execId: number | undefined;
  private stopped = false;

  constructor(private readonly agent: AgentClient) {}

  /** Fire and forget: a failed or killed warm-up costs nothing but its time. */
  start(): Promise<void> {
    return this.agent
      .exec(WARM_UP_COMMAND, {
        timeoutMs: 600_000,
        onStart: (id) => {
          this.execId = id;
          if (this.stopped) this.kill();
        },
      })
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => (this.execId = undefined));
  }

  /** The learner is at work: give them the CPU. Docker removes a killed `--rm` run's container itself. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.kill();
  }

  private kill(): void {
    if (this.execId !== undefined) this.agent.kill(this.execId).catch(() => undefined);
  }
}
