// Wheels made from the files a Debian python3-* package installs, so pip inside
// the lab (which has no PyPI) installs the same code Debian ships. A wheel is a
// zip with the package files plus a .dist-info folder (METADATA, WHEEL, RECORD),
// as PEP 427 and the packaging specifications describe.
import { createHash } from 'node:crypto';
import { zipSync, type Zippable } from 'fflate';

export interface WheelInput {
  /** Files relative to site-packages, without the Debian metadata folder. */
  files: Map<string, Uint8Array>;
  /** METADATA text (core metadata: Name, Version, Requires-Dist…). */
  metadata: string;
  /** entry_points.txt, when the package has console scripts. */
  entryPoints?: string;
}

export interface Wheel {
  fileName: string;
  name: string;
  version: string;
  requires: string[];
  bytes: Uint8Array;
  sha256: string;
}

/** PEP 503 name normalisation: "Flask_SQLAlchemy" → "flask-sqlalchemy". */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

export function metadataField(metadata: string, field: string): string[] {
  const values: string[] = [];
  for (const line of metadata.split('\n')) {
    if (line === '') break; // headers end at the first blank line; the description follows
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).toLowerCase() === field.toLowerCase()) values.push(line.slice(colon + 1).trim());
  }
  return values;
}

/**
 * Core metadata from an egg-info folder (PKG-INFO + requires.txt): requires.txt's
 * unconditional lines become Requires-Dist; sections such as [async] are extras and
 * [:python_version < "3.8"] markers, which become Requires-Dist with a marker.
 */
export function metadataFromEggInfo(pkgInfo: string, requiresTxt = ''): string {
  const requires: string[] = [];
  let section = '';
  for (const raw of requiresTxt.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const header = /^\[(.*)\]$/.exec(line);
    if (header) {
      section = header[1]!;
      continue;
    }
    if (!section) {
      requires.push(line);
      continue;
    }
    const [extra, marker] = section.split(':');
    const conditions = [extra ? `extra == "${extra}"` : '', marker ?? ''].filter(Boolean).join(' and ');
    requires.push(`${line}; ${conditions}`);
  }
  const end = pkgInfo.indexOf('\n\n');
  const headers = (end === -1 ? pkgInfo : pkgInfo.slice(0, end)).replace(/^Metadata-Version:.*$/m, 'Metadata-Version: 2.1');
  const body = end === -1 ? '' : pkgInfo.slice(end);
  const added = requires.filter((req) => !headers.includes(`Requires-Dist: ${req}`)).map((req) => `Requires-Dist: ${req}`);
  return [headers, ...added].join('\n') + (body || '\n');
}

/**
 * Adds Requires-Dist lines for distributions the metadata does not already require.
 * Debian sometimes strips install_requires (its own Depends carry them), and a
 * wheel without them would install without its dependencies.
 */
export function withRequirements(metadata: string, names: string[]): string {
  const have = new Set(metadataField(metadata, 'Requires-Dist')
    .filter((req) => !req.includes(';'))
    .map((req) => normalizeName(/^[A-Za-z0-9][A-Za-z0-9._-]*/.exec(req)?.[0] ?? '')));
  const added = names.filter((name) => !have.has(normalizeName(name))).map((name) => `Requires-Dist: ${name}`);
  if (added.length === 0) return metadata;
  const end = metadata.indexOf('\n\n');
  return end === -1 ? `${metadata.replace(/\n?$/, '\n')}${added.join('\n')}\n` : `${metadata.slice(0, end)}\n${added.join('\n')}${metadata.slice(end)}`;
}

function recordHash(bytes: Uint8Array): string {
  return `sha256=${createHash('sha256').update(bytes).digest('base64url')}`;
}

export function buildWheel(input: WheelInput): Wheel {
  const name = metadataField(input.metadata, 'Name')[0];
  const version = metadataField(input.metadata, 'Version')[0];
  if (!name || !version) throw new Error('METADATA has no Name or Version');
  // Compiled modules tie the wheel to this interpreter and CPU, as PyPI's own i686 wheels are.
  const compiled = [...input.files.keys()].some((file) => file.endsWith('.so'));
  const tag = compiled ? 'cp311-cp311-linux_i686' : 'py3-none-any';
  const distName = name.replace(/[^\w.]+/g, '_');
  const distInfo = `${distName}-${version}.dist-info`;
  const encoder = new TextEncoder();
  const entries = new Map(input.files);
  entries.set(`${distInfo}/METADATA`, encoder.encode(input.metadata));
  entries.set(`${distInfo}/WHEEL`, encoder.encode(
    `Wheel-Version: 1.0\nGenerator: docker-lab image-build (from Debian's package)\nRoot-Is-Purelib: ${compiled ? 'false' : 'true'}\nTag: ${tag}\n`));
  if (input.entryPoints) entries.set(`${distInfo}/entry_points.txt`, encoder.encode(input.entryPoints));
  const record = [...entries].map(([file, bytes]) => `${file},${recordHash(bytes)},${bytes.length}`);
  record.push(`${distInfo}/RECORD,,`);
  entries.set(`${distInfo}/RECORD`, encoder.encode(`${record.join('\n')}\n`));

  const zippable: Zippable = {};
  // A fixed time keeps the wheel byte-identical between builds, so its digest only changes with its contents.
  for (const [file, bytes] of [...entries].sort(([a], [b]) => a.localeCompare(b))) {
    zippable[file] = [bytes, { mtime: new Date('1980-01-02T00:00:00Z') }];
  }
  const bytes = zipSync(zippable, { level: 6 });
  return {
    fileName: `${distName}-${version}-${tag}.whl`,
    name,
    version,
    requires: metadataField(input.metadata, 'Requires-Dist'),
    bytes,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
}

const escapeHtml = (text: string) => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** A PEP 503 "simple" index: files to write, relative to the index root (packages live in ../../packages/). */
export function simpleIndex(wheels: Wheel[]): Map<string, string> {
  const byName = new Map<string, Wheel[]>();
  for (const wheel of wheels) byName.set(normalizeName(wheel.name), [...(byName.get(normalizeName(wheel.name)) ?? []), wheel]);
  const page = (title: string, links: string[]) =>
    `<!DOCTYPE html>\n<html><head><meta name="pypi:repository-version" content="1.0"><title>${escapeHtml(title)}</title></head><body>\n${links.join('\n')}\n</body></html>\n`;
  const files = new Map<string, string>();
  const names = [...byName.keys()].sort();
  files.set('simple/index.html', page('The lab\'s package index', names.map((name) => `<a href="${name}/">${name}</a><br>`)));
  for (const name of names) {
    const links = byName.get(name)!.map((w) => `<a href="../../packages/${escapeHtml(w.fileName)}#sha256=${w.sha256}">${escapeHtml(w.fileName)}</a><br>`);
    files.set(`simple/${name}/index.html`, page(`Links for ${name}`, links));
  }
  return files;
}

/** Requirement names (no extras, no marker-only requirements) that no wheel in the set provides. */
export function missingRequirements(wheels: Wheel[]): string[] {
  const have = new Set(wheels.map((w) => normalizeName(w.name)));
  const missing = new Set<string>();
  for (const wheel of wheels) {
    for (const req of wheel.requires) {
      if (req.includes(';')) continue; // extras and markers are optional for the base install
      const name = /^[A-Za-z0-9][A-Za-z0-9._-]*/.exec(req)?.[0];
      if (name && !have.has(normalizeName(name))) missing.add(`${wheel.name} needs ${req}`);
    }
  }
  return [...missing].sort();
}
