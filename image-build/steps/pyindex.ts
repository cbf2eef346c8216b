import { existsSync } from 'node:fs';
import { lstat, mkdir, readFile, readdir, readlink, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { IMAGE_SUITE, PYINDEX_PACKAGES } from '../config.ts';
import { aptDownloadI386 } from '../lib/apt-download.ts';
import { run } from '../lib/exec.ts';
import { buildWheel, metadataField, metadataFromEggInfo, missingRequirements, simpleIndex, withRequirements, type Wheel, type WheelInput } from '../lib/wheel.ts';
import type { Step, StepContext } from '../pipeline.ts';

const SITE = 'usr/lib/python3/dist-packages';

/**
 * The lab's offline Python package index (PEP 503), made from Debian's own i386
 * python3-* packages: `pip install flask` inside `docker build` gets Debian's
 * Flask 2.2 from the guest, not PyPI. Output: pypi/simple/… and pypi/packages/*.whl,
 * served in the guest by busybox httpd on port 3141.
 */
export const pyindexStep: Step = {
  name: 'pyindex',
  description: `offline Python package index (${PYINDEX_PACKAGES.length} Debian ${IMAGE_SUITE} packages as wheels)`,
  deps: [],
  sources: ['image-build/steps/pyindex.ts', 'image-build/lib/wheel.ts'],
  settings: { suite: IMAGE_SUITE, packages: PYINDEX_PACKAGES, format: 1 },
  async run(ctx: StepContext) {
    const debs = path.join(ctx.out, '.debs');
    ctx.progress(`downloading ${PYINDEX_PACKAGES.length} python3 packages`);
    await aptDownloadI386(ctx, IMAGE_SUITE, PYINDEX_PACKAGES, debs);
    const packages: Array<{ deb: string; depends: string[]; inputs: WheelInput[] }> = [];
    for (const deb of (await readdir(debs)).filter((name) => name.endsWith('.deb')).sort()) {
      const root = path.join(ctx.out, '.x', deb);
      await mkdir(root, { recursive: true });
      await run('dpkg-deb', ['-x', path.join(debs, deb), root]);
      const inputs = await wheelInputsFromDebianPackage(path.join(root, SITE));
      if (inputs.length === 0) throw new Error(`${deb} installs no Python distribution under /${SITE}`);
      const depends = (await run('dpkg-deb', ['-f', path.join(debs, deb), 'Depends'], { capture: true })).stdout
        .split(/[,|]/).map((dep) => dep.trim().split(/[\s(:]/)[0]!).filter(Boolean);
      packages.push({ deb: deb.split('_')[0]!, depends, inputs });
    }
    // Debian's Depends name packages; the wheels need the distribution names those packages provide.
    const distsOf = new Map(packages.map((p) => [p.deb, p.inputs.map((input) => metadataField(input.metadata, 'Name')[0]!)]));
    const wheels: Wheel[] = [];
    for (const { deb, depends, inputs } of packages) {
      const required = depends.flatMap((dep) => distsOf.get(dep) ?? []);
      for (const input of inputs) {
        const wheel = buildWheel({ ...input, metadata: withRequirements(input.metadata, required) });
        ctx.progress(`${wheel.fileName} (${deb})`);
        wheels.push(wheel);
      }
    }
    const missing = missingRequirements(wheels);
    if (missing.length) throw new Error(`the index would be incomplete, add these to PYINDEX_PACKAGES: ${missing.join('; ')}`);

    const index = path.join(ctx.out, 'pypi');
    await mkdir(path.join(index, 'packages'), { recursive: true });
    for (const wheel of wheels) await writeFile(path.join(index, 'packages', wheel.fileName), wheel.bytes);
    for (const [file, html] of simpleIndex(wheels)) {
      await mkdir(path.dirname(path.join(index, file)), { recursive: true });
      await writeFile(path.join(index, file), html);
    }
    await writeFile(path.join(ctx.out, 'pyindex.json'),
      `${JSON.stringify(wheels.map(({ name, version, fileName, sha256 }) => ({ name, version, fileName, sha256 })), null, 2)}\n`);
    for (const tmp of [debs, path.join(ctx.out, '.x'), path.join(ctx.out, '.apt')]) await rm(tmp, { recursive: true, force: true });
  },
};

/** One wheel per .dist-info or .egg-info that the package installs. */
async function wheelInputsFromDebianPackage(site: string): Promise<WheelInput[]> {
  if (!existsSync(site)) return [];
  const entries = await readdir(site);
  const metaDirs = entries.filter((name) => name.endsWith('.dist-info') || name.endsWith('.egg-info'));
  const inputs: WheelInput[] = [];
  for (const metaDir of metaDirs) {
    const meta = path.join(site, metaDir);
    const isDist = metaDir.endsWith('.dist-info');
    // An egg-info can also be a single file: the PKG-INFO itself.
    const single = !(await stat(meta)).isDirectory();
    const read = (file: string) => readFile(single ? (file === 'PKG-INFO' ? meta : '/nonexistent') : path.join(meta, file), 'utf8').catch(() => undefined);
    const metadata = isDist ? await read('METADATA') : metadataFromEggInfo((await read('PKG-INFO')) ?? '', await read('requires.txt'));
    if (!metadata) throw new Error(`${meta} has no METADATA`);
    const topLevel = (await read('top_level.txt'))?.split('\n').filter(Boolean);
    // A package with several distributions says which top-level names are whose; a single one owns them all.
    const owned = metaDirs.length > 1 && topLevel ? entries.filter((e) => topLevel.includes(e.replace(/\.py$|\..*\.so$/, ''))) : entries.filter((e) => !metaDirs.includes(e));
    const files = new Map<string, Uint8Array>();
    for (const entry of owned) await collect(site, entry, files);
    const entryPoints = await read('entry_points.txt');
    inputs.push({ files, metadata, ...(entryPoints ? { entryPoints } : {}) });
  }
  return inputs;
}

async function collect(site: string, relative: string, files: Map<string, Uint8Array>): Promise<void> {
  const full = path.join(site, relative);
  if (path.basename(relative) === '__pycache__') return;
  const info = await lstat(full);
  // Debian links some data to system files (certifi's cacert.pem → /etc/ssl/certs/…):
  // an absolute link would read the build host's copy, so only links inside the package are followed.
  // Links into other Debian packages (werkzeug's jquery.js → libjs-jquery) dangle here and are left out the same way.
  if (info.isSymbolicLink() && path.isAbsolute(await readlink(full))) return;
  const target = await stat(full).catch(() => null);
  if (!target) return;
  if (!target.isDirectory()) {
    files.set(relative, new Uint8Array(await readFile(full)));
    return;
  }
  for (const entry of await readdir(full)) await collect(site, path.join(relative, entry), files);
}
