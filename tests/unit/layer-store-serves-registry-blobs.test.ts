// The lab's layer store (image-build/lib/layer-store.ts) and the registry's front
// that serves it (guest-rootfs/runtime/layer-front.c in lab-on-demand, built
// natively): a layer Docker unpacked is kept as hard links plus a record made
// from Docker's tar-split file, the registry's copy of the blob becomes an empty
// placeholder, and a blob download through the front gets the layer's exact tar.
// The fixture is what Docker leaves: overlay2 files, a layerdb entry, a registry
// blob. The real catalog is checked by the build and in
// tests/guest/catalog-pull-in-real-guest.test.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keepCatalogLayers } from '../../image-build/lib/layer-store.ts';
import { buildOnDemand, freePort } from './helpers/on-demand.ts';


/** Stands in for the registry: answers every request with what it was asked, honouring Connection. */
const SERVICE = `
require('node:http').createServer((req, res) => {
  res.setHeader('X-Answered-By', 'stand-in');
  res.end(req.method + ' ' + req.url + ' connection=' + req.headers.connection);
}).listen(process.argv[1]);
`;

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** A ustar header: enough of one for the record, which copies headers verbatim anyway. */
function header(name: string, size: number, type: '0' | '5'): Buffer {
  const block = Buffer.alloc(512);
  block.write(name, 0);
  block.write(type === '5' ? '0000755\0' : '0000644\0', 100);
  block.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  block.write('        ', 148);
  block.write(type, 156);
  block.write('ustar\x0000', 257);
  const sum = block.reduce((total, byte) => total + byte, 0);
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return block;
}

/**
 * A layer as Docker keeps it: its tar, the files unpacked into overlay2/<cache>/diff,
 * and the tar-split file that says which bytes are headers and which are files.
 */
function dockerLayer(docker: string, cacheId: string, files: Record<string, Buffer | null>) {
  const diff = join(docker, 'overlay2', cacheId, 'diff');
  const tar: Buffer[] = [];
  const split: string[] = [];
  let padding = Buffer.alloc(0);
  for (const [name, contents] of Object.entries(files)) {
    const block = header(name, contents?.length ?? 0, contents ? '0' : '5');
    tar.push(block);
    split.push(JSON.stringify({ type: 2, payload: Buffer.concat([padding, block]).toString('base64') }));
    split.push(JSON.stringify({ type: 1, name, ...(contents?.length ? { size: contents.length } : {}), payload: null }));
    if (!contents) {
      mkdirSync(join(diff, name), { recursive: true });
      continue;
    }
    mkdirSync(dirname(join(diff, name)), { recursive: true });
    writeFileSync(join(diff, name), contents);
    padding = Buffer.alloc((512 - (contents.length % 512)) % 512);
    tar.push(contents, padding);
  }
  split.push(JSON.stringify({ type: 2, payload: Buffer.concat([padding, Buffer.alloc(1024)]).toString('base64') }));
  tar.push(Buffer.alloc(1024));
  const bytes = Buffer.concat(tar);
  const entry = join(docker, 'image/overlay2/layerdb/sha256', sha(Buffer.from(cacheId)));
  mkdirSync(entry, { recursive: true });
  writeFileSync(join(entry, 'diff'), `sha256:${sha(bytes)}`);
  writeFileSync(join(entry, 'cache-id'), cacheId);
  writeFileSync(join(entry, 'tar-split.json.gz'), gzipSync(`${split.join('\n')}\n`));
  return { bytes, hex: sha(bytes), diff };
}

/** The registry's files for a blob linked into a repository, as `docker push` leaves them. */
function registryBlob(registry: string, repository: string, bytes: Buffer) {
  const hex = sha(bytes);
  const data = join(registry, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
  mkdirSync(dirname(data), { recursive: true });
  writeFileSync(data, bytes);
  const link = join(registry, 'docker/registry/v2/repositories', repository, '_layers/sha256', hex, 'link');
  mkdirSync(dirname(link), { recursive: true });
  writeFileSync(link, `sha256:${hex}`);
  return data;
}


interface Answer { status: number; headers: http.IncomingHttpHeaders; body: Buffer }

function request(port: number, method: string, url: string, headers: Record<string, string> = {}, agent?: http.Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: url, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

let dir: string;
let proxy: ChildProcess | undefined;
let port: number;
let layer: ReturnType<typeof dockerLayer>;
let blob: string;
let kept: Awaited<ReturnType<typeof keepCatalogLayers>>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'layer-store-'));
  const docker = join(dir, 'docker');
  const registry = join(dir, 'registry');
  layer = dockerLayer(docker, 'c1', {
    'etc/': null,
    'etc/motd': Buffer.from('Welcome to the lab\n'.repeat(40)),
    'etc/empty': Buffer.alloc(0),
    'usr/lib/big.bin': randomBytes(300_000),
  });
  blob = registryBlob(registry, 'library/demo', layer.bytes);
  kept = await keepCatalogLayers(docker, registry, join(dir, 'store'));

  const binary = buildOnDemand(dir);
  port = await freePort();
  const socket = join(dir, 'registry.sock');
  proxy = spawn(binary, ['--layers', join(dir, 'store'), join(registry, 'docker/registry/v2/repositories'),
    String(port), socket, process.execPath, '-e', SERVICE, socket], { stdio: 'ignore' });
  // Listening once the first request gets through (it also starts the stand-in registry).
  for (const deadline = Date.now() + 20_000; Date.now() < deadline;) {
    if (await request(port, 'GET', '/v2/').then((r) => r.status === 200, () => false)) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}, 60_000);

afterAll(() => {
  proxy?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('the layer store', () => {
  it('keeps the layer as hard links to Docker\'s files and leaves the registry a placeholder of the blob\'s size', () => {
    expect(kept).toEqual({ layers: 1, files: 2, tarBytes: layer.bytes.length, placeholders: 1, placeholderBytes: layer.bytes.length });
    const store = join(dir, 'store', layer.hex);
    expect(statSync(join(store, '2')).ino).toBe(statSync(join(layer.diff, 'usr/lib/big.bin')).ino);
    expect(statSync(blob).size).toBe(layer.bytes.length);
    expect(statSync(blob).blocks).toBe(0);
  });

  it('refuses a layer whose files no longer rebuild its tar', async () => {
    const docker = join(dir, 'damaged');
    const damaged = dockerLayer(docker, 'c2', { 'a.txt': Buffer.from('original contents') });
    writeFileSync(join(damaged.diff, 'a.txt'), 'changed contents!');
    await expect(keepCatalogLayers(docker, join(dir, 'no-registry'), join(dir, 'store2')))
      .rejects.toThrow(`layer sha256:${damaged.hex}: the tar rebuilt from Docker's files and tar-split record has digest`);
  });
});

describe('the registry front (lab-on-demand --layers)', () => {
  const url = () => `/v2/library/demo/blobs/sha256:${layer.hex}`;

  it('answers a download of a stored layer with its exact tar and digest', async () => {
    const answer = await request(port, 'GET', url());
    expect(answer.status).toBe(200);
    expect(answer.headers['x-answered-by']).toBeUndefined();
    expect(answer.headers['docker-content-digest']).toBe(`sha256:${layer.hex}`);
    expect(answer.headers['content-length']).toBe(String(layer.bytes.length));
    expect(sha(answer.body)).toBe(layer.hex);
  });

  it('answers a resumed download (a byte range) with the rest of the tar', async () => {
    const answer = await request(port, 'GET', url(), { Range: 'bytes=1000-' });
    expect(answer.status).toBe(206);
    expect(answer.headers['content-range']).toBe(`bytes 1000-${layer.bytes.length - 1}/${layer.bytes.length}`);
    expect(answer.body.equals(layer.bytes.subarray(1000))).toBe(true);
    const beyond = await request(port, 'GET', url(), { Range: `bytes=${layer.bytes.length}-` });
    expect(beyond.status).toBe(416);
  });

  it('passes existence checks, other repositories and other requests to the registry, closing each connection after its answer', async () => {
    const head = await request(port, 'HEAD', url());
    expect(head.status).toBe(200);
    expect(head.headers['x-answered-by']).toBe('stand-in');
    const other = await request(port, 'GET', `/v2/library/other/blobs/sha256:${layer.hex}`);
    expect(other.body.toString()).toBe(`GET /v2/library/other/blobs/sha256:${layer.hex} connection=close`);
    // A client that keeps its connection open still has its next request seen by the front.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const manifest = await request(port, 'GET', '/v2/library/demo/manifests/1', { Connection: 'keep-alive' }, agent);
    expect(manifest.body.toString()).toBe('GET /v2/library/demo/manifests/1 connection=close');
    expect(manifest.headers.connection).toBe('close');
    const download = await request(port, 'GET', url(), {}, agent);
    expect(sha(download.body)).toBe(layer.hex);
    agent.destroy();
  });

});
