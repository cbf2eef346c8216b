import { rename, symlink, rm } from 'node:fs/promises';
import path from 'node:path';
import { OUT_LINK } from './paths.ts';

/** Switches build/guest/out to a finished release in one rename, so a server never sees half of one. */
export async function pointOutAt(releaseDir: string): Promise<void> {
  const tmp = `${OUT_LINK}.new-${process.pid}`;
  await rm(tmp, { force: true });
  await symlink(path.relative(path.dirname(OUT_LINK), releaseDir), tmp);
  await rename(tmp, OUT_LINK);
}
