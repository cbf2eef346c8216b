import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startDebianProxy } from './debian-proxy.ts';
import { DEBIAN_MIRROR } from '../config.ts';
import { CommandError, run } from './exec.ts';
import type { StepContext } from '../pipeline.ts';

const ATTEMPTS = 4;
const WAIT_MS = 90_000;

/**
 * debootstrap, run through a loopback proxy (see debian-proxy.ts) and retried when the
 * archive is caught mid-sync: a mirror that has new
 * Packages files but an old InRelease makes debootstrap report them "corrupt", and
 * that heals once the mirror finishes. Other failures are not retried.
 */
export async function debootstrapWithRetry(ctx: StepContext, args: string[], onLine: (line: string) => void): Promise<void> {
  const target = args[args.length - 2]!;
  const suite = args[args.length - 3]!;
  for (let attempt = 1; ; attempt++) {
    const proxy = await startDebianProxy(DEBIAN_MIRROR);
    try {
      await run('debootstrap', [...args.slice(0, -1), proxy.url], { log: ctx.log, onLine });
      // The guest and images must name the real mirror, not the build's loopback proxy.
      await writeFile(path.join(target, 'etc/apt/sources.list'), `deb ${DEBIAN_MIRROR} ${suite} main\n`);
      return;
    } catch (err) {
      const tail = err instanceof CommandError ? err.tail : '';
      const midSync = /was corrupt|Hash Sum mismatch|Couldn't download .*dists\//.test(tail);
      if (!midSync || attempt === ATTEMPTS) {
        const why = midSync
          ? `${DEBIAN_MIRROR} serves index files that do not match its InRelease (the mirror is being updated); try again later`
          : `is ${DEBIAN_MIRROR} reachable and is there free disk space?`;
        throw new CommandError(`${(err as Error).message}: ${why}`, tail);
      }
      console.log(`  debootstrap: the Debian mirror looks mid-sync (index files do not match InRelease); retrying in ${WAIT_MS / 1000} s (attempt ${attempt + 1} of ${ATTEMPTS})`);
      await rm(target, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, WAIT_MS));
    } finally {
      await proxy.close();
    }
  }
}
