import path from 'node:path';
import { run } from '../lib/exec.ts';
import { GUEST_ROOTFS_SRC } from '../lib/paths.ts';
import type { Step, StepContext } from '../pipeline.ts';

/** Our small guest programs, static i386 binaries: no libc or loader lookups at start. */
export const GUEST_PROGRAMS = {
  'lab-agent': 'agent/lab-agent.c',
  'lab-setkey': 'runtime/lab-setkey.c',
  'lab-crun': 'runtime/lab-crun.c',
  'lab-shim': 'runtime/lab-shim.c',
  'lab-keeper': 'runtime/lab-keeper.c',
  'lab-on-demand': ['runtime/lab-on-demand.c', 'runtime/layer-front.c'],
  'lab-pageout': 'runtime/lab-pageout.c',
} as const satisfies Record<string, string | readonly string[]>;

/** Every source file of a program: the first is its main one. */
const sourcesOf = (program: string | readonly string[]): readonly string[] => (typeof program === 'string' ? [program] : program);

const CFLAGS = ['-m32', '-static', '-O2', '-Wall', '-Wextra', '-Werror', '-s'];

export const programsStep: Step = {
  name: 'programs',
  description: 'guest programs: lab-agent, lab-crun, lab-setkey, lab-shim, lab-keeper, lab-on-demand, lab-pageout (static i386)',
  deps: [],
  sources: ['image-build/steps/programs.ts', 'guest-rootfs/runtime/layer-front.h',
    ...Object.values(GUEST_PROGRAMS).flatMap(sourcesOf).map((source) => `guest-rootfs/${source}`)],
  settings: { cflags: CFLAGS },
  async run(ctx: StepContext) {
    for (const [name, program] of Object.entries(GUEST_PROGRAMS)) {
      const sources = sourcesOf(program).map((source) => path.join(GUEST_ROOTFS_SRC, source));
      await run('gcc', [...CFLAGS, '-o', path.join(ctx.out, name), ...sources], { log: ctx.log })
        .catch((err: Error) => { throw new Error(`${err.message}: is gcc-multilib installed?`, { cause: err }); });
    }
  },
};
