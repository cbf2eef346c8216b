import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startDebianProxy } from './debian-proxy.ts';
import { DEBIAN_MIRROR } from '../config.ts';
import { CommandError, run } from './exec.ts';
import type { StepContext } from '../pipeline.ts';

const ATTEMPTS = 4;
const WAIT_MS = 90_000;
/** The user's explicit choice to build from a mirror whose i386 index no signed InRelease vouches for. */
const ALLOW_UNVERIFIED = process.env.LAB_DEBIAN_UNVERIFIED_INDEX === 'allow';

/**
 * debootstrap, run through a loopback proxy (see debian-proxy.ts) and retried when the
 * archive is caught mid-sync: a mirror that has new
 * Packages files but an old InRelease makes debootstrap report them "corrupt", and
 * that heals once the mirror finishes. Other failures are not retried.
 */
export async function debootstrapWithRetry(ctx: StepContext, args: string[], onLine: (line: string) => void): Promise<void> {
  const target = args[args.length - 2]!;
  const suite = args[args.length - 3]!;
  let unverified = false;
  for (let attempt = 1; ; attempt++) {
    const proxy = await startDebianProxy(DEBIAN_MIRROR, { allowUnverified: unverified });
    try {
      await run('debootstrap', [...(unverified ? ['--no-check-gpg'] : []), ...args.slice(0, -1), proxy.url], { log: ctx.log, onLine });
      if (unverified) await writeFile(path.join(target, '..', 'UNVERIFIED-INDEX'), `${suite}: built from ${DEBIAN_MIRROR}'s i386 index without a matching signed InRelease\n`);
      // The guest and images must name the real mirror, not the build's loopback proxy.
      await writeFile(path.join(target, 'etc/apt/sources.list'), `deb ${DEBIAN_MIRROR} ${suite} main\n`);
      return;
    } catch (err) {
      const tail = err instanceof CommandError ? err.tail : '';
      const midSync = /was corrupt|Hash Sum mismatch|Couldn't download .*dists\//.test(tail);
      if (!midSync || attempt === ATTEMPTS || unverified) {
        const why = midSync
          ? `${DEBIAN_MIRROR} serves index files that do not match its InRelease (the mirror is being updated); try again later, ` +
            'or set LAB_DEBIAN_UNVERIFIED_INDEX=allow to build from the index the mirror serves without a signature check'
          : `is ${DEBIAN_MIRROR} reachable and is there free disk space?`;
        throw new CommandError(`${(err as Error).message}: ${why}`, tail);
      }
      await rm(target, { recursive: true, force: true });
      if (ALLOW_UNVERIFIED) {
        console.log('  debootstrap: the Debian mirror\'s index does not match its signed InRelease; retrying now WITHOUT the signature check (LAB_DEBIAN_UNVERIFIED_INDEX=allow)');
        unverified = true;
        continue;
      }
      console.log(`  debootstrap: the Debian mirror looks mid-sync (index files do not match InRelease); retrying in ${WAIT_MS / 1000} s (attempt ${attempt + 1} of ${ATTEMPTS})`);
      await new Promise((resolve) => setTimeout(resolve, WAIT_MS));
    } finally {
      await proxy.close();
    }
  }
}
