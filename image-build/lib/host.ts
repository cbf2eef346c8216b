import { existsSync } from 'node:fs';
import { StepError } from '../pipeline.ts';

/** Steps that debootstrap, chroot or mount need root; say so in one sentence instead of failing deep inside. */
export function requireRoot(step: string): void {
  if (process.getuid?.() !== 0) {
    throw new StepError(step, 'needs root (debootstrap, chroot and mount do); run `npm start` or `npm run build:guest` as root');
  }
}

export function requireTool(step: string, file: string, pkg: string): void {
  if (!existsSync(file)) {
    throw new StepError(step, `${file} is missing; install it with \`apt-get install ${pkg}\` (\`npm start\` does this for you)`);
  }
}
