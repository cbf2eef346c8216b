import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/** Outside the repo on purpose: verified InRelease copies outlive a fresh clone on the same machine. */
const INRELEASE_CACHE = process.env.LAB_INRELEASE_CACHE ?? '/var/cache/docker-lab/inrelease';

/**
 * A loopback proxy in front of the Debian mirror for debootstrap. A mirror caught
 * mid-sync can serve a new InRelease with old Packages files (debootstrap then calls
 * them "corrupt"). This proxy serves the newest Debian-signed InRelease it has seen
 * whose hashes match the Packages file actually served, so the signature chain from
 * Debian's key to every .deb stays intact. Everything else passes through untouched.
 */
export interface DebianProxyOptions {
  /**
   * When no Debian-signed InRelease matches the served index, hand out the mirror's
   * InRelease with its i386 Packages hashes replaced by those of the files actually
   * served. Its signature then no longer verifies, so this is only for a debootstrap
   * run with --no-check-gpg, chosen explicitly by the user (LAB_DEBIAN_UNVERIFIED_INDEX).
   */
  allowUnverified?: boolean;
}

export async function startDebianProxy(upstream: string, options: DebianProxyOptions = {}): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    handle(upstream, req.url ?? '/', options).then(({ status, body }) => {
      res.writeHead(status, { 'content-length': body.byteLength });
      res.end(body);
    }, (err: Error) => {
      res.writeHead(502);
      res.end(err.message);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function get(url: string): Promise<{ status: number; body: Buffer }> {
  const response = await fetch(url);
  return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
}

async function handle(upstream: string, pathname: string, options: DebianProxyOptions): Promise<{ status: number; body: Buffer }> {
  const inRelease = /^\/dists\/([^/]+)\/InRelease$/.exec(pathname);
  const fresh = await get(upstream + pathname);
  if (!inRelease || fresh.status !== 200) return fresh;
  const suite = inRelease[1]!;
  const index = await get(`${upstream}/dists/${suite}/main/binary-i386/Packages.gz`);
  const served = createHash('sha256').update(index.body).digest('hex');
  const dir = path.join(INRELEASE_CACHE, suite);
  const matches = (text: string) => text.includes(` ${served} ${index.body.byteLength} main/binary-i386/Packages.gz`);
  if (matches(fresh.body.toString('utf8'))) {
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, `${served}.InRelease`), fresh.body);
    return fresh;
  }
  const cached = path.join(dir, `${served}.InRelease`);
  if (existsSync(cached)) {
    console.log(`  debian-proxy: ${suite}'s InRelease does not match the Packages file the mirror serves; using the Debian-signed InRelease seen earlier that does`);
    return { status: 200, body: await readFile(cached) };
  }
  for (const name of existsSync(dir) ? await readdir(dir) : []) {
    const body = await readFile(path.join(dir, name));
    if (matches(body.toString('utf8'))) return { status: 200, body };
  }
  if (options.allowUnverified) {
    console.log(`  debian-proxy: WARNING: no Debian-signed InRelease matches ${suite}'s i386 index; using the mirror's index UNVERIFIED (LAB_DEBIAN_UNVERIFIED_INDEX=allow)`);
    return { status: 200, body: Buffer.from(rewriteIndexHashes(fresh.body.toString('utf8'), index.body)) };
  }
  return fresh;
}

/** The InRelease text with main/binary-i386/Packages.gz described by the bytes served and its other forms dropped. */
export function rewriteIndexHashes(inRelease: string, packagesGz: Buffer): string {
  gunzipSync(packagesGz); // a truncated or non-gzip answer fails here, not later inside debootstrap
  const described: Record<string, string> = {
    'main/binary-i386/Packages.gz': `${createHash('sha256').update(packagesGz).digest('hex')} ${packagesGz.byteLength}`,
  };
  let section = '';
  const out: string[] = [];
  for (const line of inRelease.split('\n')) {
    if (/^\S/.test(line)) section = line.split(':')[0]!;
    const entry = /^ \S+\s+\d+ (main\/binary-i386\/Packages(?:\.\w+)?)$/.exec(line);
    if (!entry) {
      out.push(line);
      continue;
    }
    const replacement = described[entry[1]!];
    if (section === 'SHA256' && replacement) out.push(` ${replacement} ${entry[1]}`);
  }
  return out.join('\n');
}
