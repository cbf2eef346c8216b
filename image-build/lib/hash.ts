import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** Hash of a file or a whole folder (names, modes and contents), for cache keys of source inputs. */
export async function hashPath(target: string): Promise<string> {
  const info = await stat(target);
  if (!info.isDirectory()) return sha256(await readFile(target));
  const hash = createHash('sha256');
  const names = (await readdir(target)).sort();
  for (const name of names) {
    const child = path.join(target, name);
    const childInfo = await stat(child);
    hash.update(`${name}\0${childInfo.mode & 0o777}\0${await hashPath(child)}\n`);
  }
  return hash.digest('hex');
}
