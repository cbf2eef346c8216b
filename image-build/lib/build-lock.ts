import { mkdir, open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { BUILD_ROOT } from './paths.ts';

const LOCK = path.join(BUILD_ROOT, 'build.lock');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * One guest build at a time: two builds would both start the build-time registry on
 * port 5000 and write the same step folders. A lock left by a build that died is taken over.
 */
export async function acquireBuildLock(): Promise<() => Promise<void>> {
  await mkdir(BUILD_ROOT, { recursive: true });
  for (;;) {
    try {
      const handle = await open(LOCK, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(LOCK, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(await readFile(LOCK, 'utf8').catch(() => '0'));
      if (!owner || !alive(owner)) {
        await rm(LOCK, { force: true });
        continue;
      }
      throw new Error(`another guest build (pid ${owner}) is running; wait for it to finish (lock: ${LOCK})`, { cause: err });
    }
  }
}
