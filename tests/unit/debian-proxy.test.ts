// The build's Debian proxy must keep the signature chain: it may only swap in an
// InRelease that Debian signed and whose hashes match the index actually served.
import { createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const cache = mkdtempSync(path.join(os.tmpdir(), 'inrelease-'));
process.env.LAB_INRELEASE_CACHE = cache;
const { startDebianProxy } = await import('../../image-build/lib/debian-proxy.ts');

const packages = Buffer.from('Package: demo\nVersion: 1\n');
const hash = createHash('sha256').update(packages).digest('hex');
const inReleaseFor = (sha: string, size: number) => `-----BEGIN PGP SIGNED MESSAGE-----\nSHA256:\n ${sha} ${size} main/binary-i386/Packages.gz\n`;
let served = { inRelease: '', packages };
let upstream: http.Server;
let upstreamUrl = '';

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    if (req.url === '/dists/demo/InRelease') res.end(served.inRelease);
    else if (req.url === '/dists/demo/main/binary-i386/Packages.gz') res.end(served.packages);
    else if (req.url === '/pool/a.deb') res.end('deb bytes');
    else { res.writeHead(404); res.end(); }
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});

afterAll(() => upstream.close());

async function viaProxy(pathname: string): Promise<string> {
  const proxy = await startDebianProxy(upstreamUrl);
  try {
    return await (await fetch(proxy.url + pathname)).text();
  } finally {
    await proxy.close();
  }
}

describe('debian proxy for debootstrap', () => {
  it('passes a consistent InRelease and other files through unchanged', async () => {
    served = { inRelease: inReleaseFor(hash, packages.length), packages };
    expect(await viaProxy('/dists/demo/InRelease')).toBe(served.inRelease);
    expect(await viaProxy('/pool/a.deb')).toBe('deb bytes');
  });

  it('serves the earlier signed InRelease that matches the index when the mirror is mid-sync', async () => {
    const earlier = inReleaseFor(hash, packages.length);
    mkdirSync(path.join(cache, 'demo'), { recursive: true });
    writeFileSync(path.join(cache, 'demo', 'seed.InRelease'), earlier);
    served = { inRelease: inReleaseFor('f'.repeat(64), 99), packages };
    expect(await viaProxy('/dists/demo/InRelease')).toBe(earlier);
  });

  it('passes the inconsistent InRelease on when it knows no matching one, so debootstrap fails loudly', async () => {
    served = { inRelease: inReleaseFor('e'.repeat(64), 5), packages: Buffer.from('other index') };
    expect(await viaProxy('/dists/demo/InRelease')).toBe(served.inRelease);
  });
});

describe('unverified index, when the user allows it', () => {
  it('describes only the served Packages.gz in the SHA256 section', async () => {
    const { rewriteIndexHashes } = await import('../../image-build/lib/debian-proxy.ts');
    const { gzipSync } = await import('node:zlib');
    const gz = gzipSync(Buffer.from('Package: demo\n'));
    const text = [
      'Suite: demo', 'MD5Sum:', ' aaaa 10 main/binary-i386/Packages.gz', ' bbbb 11 main/binary-amd64/Packages.gz',
      'SHA256:', ` ${'c'.repeat(64)} 10 main/binary-i386/Packages`, ` ${'d'.repeat(64)} 10 main/binary-i386/Packages.gz`,
      ` ${'e'.repeat(64)} 10 main/binary-i386/Packages.xz`, ` ${'f'.repeat(64)} 12 main/binary-amd64/Packages.gz`,
    ].join('\n');
    const sha = createHash('sha256').update(gz).digest('hex');
    expect(rewriteIndexHashes(text, gz).split('\n')).toEqual([
      'Suite: demo', 'MD5Sum:', ' bbbb 11 main/binary-amd64/Packages.gz',
      'SHA256:', ` ${sha} ${gz.length} main/binary-i386/Packages.gz`, ` ${'f'.repeat(64)} 12 main/binary-amd64/Packages.gz`,
    ]);
  });

  it('refuses an index that is not gzip', async () => {
    const { rewriteIndexHashes } = await import('../../image-build/lib/debian-proxy.ts');
    expect(() => rewriteIndexHashes('SHA256:\n', Buffer.from('not gzip'))).toThrow();
  });
});
