import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DEBIAN_MIRROR } from '../config.ts';
import { run } from './exec.ts';
import type { StepContext } from '../pipeline.ts';

/**
 * Downloads i386 .debs from one suite with the host's own apt, in a private
 * state folder, so the host's package configuration is never touched.
 */
export async function aptDownloadI386(ctx: StepContext, suite: string, packages: string[], dest: string): Promise<string[]> {
  const state = path.join(ctx.out, '.apt');
  await mkdir(path.join(state, 'lists/partial'), { recursive: true });
  await mkdir(path.join(state, 'cache/archives/partial'), { recursive: true });
  await mkdir(dest, { recursive: true });
  const sources = path.join(state, 'sources.list');
  await writeFile(sources, `deb [arch=i386 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${DEBIAN_MIRROR} ${suite} main\n`);
  await writeFile(path.join(state, 'status'), '');
  const options = [
    '-o', 'APT::Architecture=i386', '-o', 'APT::Architectures::=i386',
    '-o', `Dir::Etc::SourceList=${sources}`, '-o', 'Dir::Etc::SourceParts=/dev/null',
    '-o', `Dir::State=${state}`, '-o', `Dir::State::Lists=${path.join(state, 'lists')}`,
    '-o', `Dir::State::status=${path.join(state, 'status')}`, '-o', `Dir::Cache=${path.join(state, 'cache')}`,
    '-o', 'Acquire::Languages=none', '-q',
  ];
  await run('apt-get', [...options, 'update'], { log: ctx.log });
  const resolved: string[] = [];
  for (const pkg of packages) {
    // A metapackage (linux-image-686) names the versioned package in its Depends.
    const depends = await run('apt-cache', [...options, 'depends', '--no-recommends', '--no-suggests', pkg], { capture: true, log: ctx.log });
    const first = /Depends: (\S+)/.exec(depends.stdout);
    resolved.push(pkg.startsWith('linux-image-') && first ? first[1]! : pkg);
  }
  await run('apt-get', [...options, 'download', ...resolved], { cwd: dest, log: ctx.log });
  return resolved;
}
