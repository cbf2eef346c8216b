// `npm run build:guest [-- --step NAME] [--force NAME]`: builds the guest (or one
// step and what it needs), reusing every step whose inputs have not changed.
import { parseArgs } from 'node:util';
import { Pipeline, StepError, formatSeconds } from './pipeline.ts';
import { STEPS } from './steps/index.ts';
import { pointOutAt } from './lib/out-link.ts';
import { acquireBuildLock } from './lib/build-lock.ts';

const { values } = parseArgs({
  options: {
    step: { type: 'string' },
    force: { type: 'string', multiple: true },
    list: { type: 'boolean' },
  },
});

const pipeline = new Pipeline(STEPS);
if (values.list) {
  for (const step of STEPS) console.log(`${step.name.padEnd(10)} ${(await pipeline.isCached(step.name)) ? 'cached ' : 'to build'}  ${step.description}`);
  process.exit(0);
}

const started = Date.now();
let releaseLock: (() => Promise<void>) | undefined;
try {
  releaseLock = await acquireBuildLock();
  const target = values.step ?? 'publish';
  const dir = await pipeline.build(target, { force: values.force });
  if (target === 'publish') await pointOutAt(dir);
  console.log(`guest build done in ${formatSeconds(Date.now() - started)}`);
} catch (err) {
  console.error(`\n✗ ${(err as Error).message}`);
  if (err instanceof StepError && err.detail) console.error(`--- last lines of output ---\n${err.detail}`);
  console.error('Earlier good artifacts are untouched; fix the cause and run the build again.');
  process.exitCode = 1;
} finally {
  await releaseLock?.();
}
