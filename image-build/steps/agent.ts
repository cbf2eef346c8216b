import path from 'node:path';
import { run } from '../lib/exec.ts';
import { GUEST_ROOTFS_SRC } from '../lib/paths.ts';
import type { Step, StepContext } from '../pipeline.ts';

/** The guest agent, a static i386 binary: no libc or loader lookups at start. */
export const agentStep: Step = {
  name: 'agent',
  description: 'guest agent (static i386)',
  deps: [],
  sources: ['image-build/steps/agent.ts', 'guest-rootfs/agent/lab-agent.c'],
  settings: { cflags: ['-m32', '-static', '-O2', '-Wall', '-Wextra', '-Werror'] },
  async run(ctx: StepContext) {
    await run('gcc', ['-m32', '-static', '-O2', '-Wall', '-Wextra', '-Werror', '-s',
      '-o', path.join(ctx.out, 'lab-agent'), path.join(GUEST_ROOTFS_SRC, 'agent/lab-agent.c')], { log: ctx.log })
      .catch((err: Error) => { throw new Error(`${err.message}: is gcc-multilib installed?`, { cause: err }); });
  },
};
