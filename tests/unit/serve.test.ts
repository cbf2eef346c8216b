// scripts/serve.mjs as a learner's browser meets it: a real server process on
// the loopback address, real HTTP requests.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SCRIPT = path.resolve(import.meta.dirname, '../../scripts/serve.mjs');
let dir: string;
let child: ChildProcess;
let origin: string;
let printed = '';
const part = Uint8Array.from({ length: 4096 }, (_, i) => (i * 13) & 0xff);

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** Raw requests: fetch would normalise away the paths a hostile client sends. */
function request(pathname: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${origin}${pathname}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'serve-test-'));
  fs.mkdirSync(path.join(dir, 'assets'));
  fs.mkdirSync(path.join(dir, 'guest/disk'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>lab</title>');
  fs.writeFileSync(path.join(dir, 'assets/main-abc123.js'), 'console.log(1)');
  fs.writeFileSync(path.join(dir, 'guest/manifest.json'), '{"format":1}');
  fs.writeFileSync(path.join(dir, 'guest/disk/rootfs-0-4096.img.zst'), part);
  fs.writeFileSync(path.join(os.tmpdir(), 'serve-test-secret.txt'), 'TOP-SECRET-CONTENT');
  child = spawn(process.execPath, [SCRIPT, '--dir', dir, '--port', '0', '--host', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  origin = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      printed += d.toString();
      const m = /Local: +(http:\/\/127\.0\.0\.1:\d+)\//.exec(printed);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`serve.mjs exited with ${code}: ${printed}`)));
  });
});

afterAll(() => {
  child?.kill('SIGTERM');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(path.join(os.tmpdir(), 'serve-test-secret.txt'), { force: true });
});

describe('npm run serve', () => {
  it('serves pages with their type and asks browsers to revalidate them', async () => {
    const r = await request('/');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.headers['cache-control']).toBe('no-cache');
    expect(r.body.toString()).toContain('<title>lab</title>');
  });

  it('lets browsers keep hashed assets for good', async () => {
    const r = await request('/assets/main-abc123.js');
    expect(r.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(r.headers['content-type']).toMatch(/^text\/javascript/);
  });

  it('serves guest parts byte for byte, never re-encoded, revalidated each time', async () => {
    const r = await request('/guest/disk/rootfs-0-4096.img.zst', { 'accept-encoding': 'gzip, br' });
    expect(r.status).toBe(200);
    expect(r.headers['content-encoding']).toBeUndefined();
    expect(r.headers['content-type']).toBe('application/zstd');
    expect(r.headers['cache-control']).toBe('no-cache');
    expect(r.headers['content-length']).toBe('4096');
    expect(new Uint8Array(r.body)).toEqual(part);
  });

  it('answers byte ranges: closed, open-ended, suffix, and past the end', async () => {
    const closed = await request('/guest/disk/rootfs-0-4096.img.zst', { range: 'bytes=100-199' });
    expect(closed.status).toBe(206);
    expect(closed.headers['content-range']).toBe('bytes 100-199/4096');
    expect(new Uint8Array(closed.body)).toEqual(part.slice(100, 200));

    const open = await request('/guest/disk/rootfs-0-4096.img.zst', { range: 'bytes=4000-' });
    expect(open.headers['content-range']).toBe('bytes 4000-4095/4096');
    expect(open.body.length).toBe(96);

    const suffix = await request('/guest/disk/rootfs-0-4096.img.zst', { range: 'bytes=-10' });
    expect(new Uint8Array(suffix.body)).toEqual(part.slice(-10));

    const past = await request('/guest/disk/rootfs-0-4096.img.zst', { range: 'bytes=5000-6000' });
    expect(past.status).toBe(416);
    expect(past.headers['content-range']).toBe('bytes */4096');
  });

  it('ignores a range whose If-Range no longer matches, and serves the whole file', async () => {
    const r = await request('/guest/disk/rootfs-0-4096.img.zst', { range: 'bytes=0-9', 'if-range': '"stale"' });
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(4096);
  });

  it('answers 304 to a matching ETag', async () => {
    const first = await request('/guest/manifest.json');
    expect(first.headers.etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    const again = await request('/guest/manifest.json', { 'if-none-match': first.headers.etag as string });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
  });

  it('answers HEAD with headers only', async () => {
    const r = await request('/guest/disk/rootfs-0-4096.img.zst', {}, 'HEAD');
    expect(r.status).toBe(200);
    expect(r.headers['content-length']).toBe('4096');
    expect(r.body.length).toBe(0);
  });

  it('never serves a file outside its folder, and refuses writes', async () => {
    for (const p of ['/../serve-test-secret.txt', '/%2e%2e/serve-test-secret.txt', '/guest/..%2f..%2fserve-test-secret.txt']) {
      const r = await request(p);
      expect(r.status, p).toBe(404);
      expect(r.body.toString()).not.toContain('TOP-SECRET-CONTENT');
    }
    expect((await request('/%E0%A4%A', {})).status).toBe(400);
    expect((await request('/index.html', {}, 'POST')).status).toBe(405);
  });

  it('redirects a folder to its slash form and serves its index', async () => {
    const r = await request('/guest');
    expect(r.status).toBe(301);
    expect(r.headers.location).toBe('/guest/');
    expect((await request('/missing.js')).status).toBe(404);
  });
});
