// The catalog's push to the lab registry: a `docker save` folder goes up with
// uncompressed layers (blob digest = diff id) in an OCI manifest, every blob under its true digest. The registry here is a
// small stand-in speaking the registry API's upload calls; the real registry and
// Docker's pull of what it holds are proven in tests/guest/catalog-pull-in-real-guest.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OCI_MANIFEST, RegistryPusher, hubPath } from '../../image-build/lib/registry-push.ts';

const sha = (data: Buffer | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

const blobs = new Map<string, Buffer>();
const manifests = new Map<string, { type: string; body: string }>();
const requests: string[] = [];
let server: http.Server;
let origin: string;
let dir: string;

/** Registry API v2, the calls a push makes: blob HEAD, upload POST + PUT, manifest PUT. */
function registry(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) {
  const url = new URL(req.url ?? '', 'http://registry');
  requests.push(`${req.method} ${url.pathname}`);
  const blob = /^\/v2\/(.+)\/blobs\/(sha256:[0-9a-f]{64})$/.exec(url.pathname);
  if (req.method === 'HEAD' && blob) return res.writeHead(blobs.has(`${blob[1]}@${blob[2]}`) ? 200 : 404).end();
  const uploads = /^\/v2\/(.+)\/blobs\/uploads\/$/.exec(url.pathname);
  if (req.method === 'POST' && uploads?.[1] === 'library/full') return res.writeHead(507).end('disk full');
  if (req.method === 'POST' && uploads) {
    return res.writeHead(202, { Location: `/v2/${uploads[1]}/blobs/uploads/u${requests.length}?_state=opaque` }).end();
  }
  const upload = /^\/v2\/(.+)\/blobs\/uploads\/u\d+$/.exec(url.pathname);
  if (req.method === 'PUT' && upload) {
    const digest = url.searchParams.get('digest') ?? '';
    if (url.searchParams.get('_state') !== 'opaque' || sha(body) !== digest) return res.writeHead(400).end('DIGEST_INVALID');
    blobs.set(`${upload[1]}@${digest}`, body);
    return res.writeHead(201).end();
  }
  const manifest = /^\/v2\/(.+)\/manifests\/([\w.-]+)$/.exec(url.pathname);
  if (req.method === 'PUT' && manifest) {
    manifests.set(`${manifest[1]}:${manifest[2]}`, { type: req.headers['content-type'] ?? '', body: body.toString() });
    return res.writeHead(201).end();
  }
  res.writeHead(404).end();
}

/** A folder as `docker save | tar -x` leaves it: legacy manifest.json, config and layer tars. */
function savedImage(name: string, layers: Buffer[]): { folder: string; config: Buffer } {
  const folder = path.join(dir, name);
  fs.mkdirSync(path.join(folder, 'blobs/sha256'), { recursive: true });
  const write = (data: Buffer) => {
    const file = `blobs/sha256/${sha(data).slice(7)}`;
    fs.writeFileSync(path.join(folder, file), data);
    return file;
  };
  const layerFiles = layers.map(write);
  const config = Buffer.from(JSON.stringify({ architecture: '386', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map((l) => sha(l)) } }));
  fs.writeFileSync(path.join(folder, 'manifest.json'), JSON.stringify([{ Config: write(config), RepoTags: [`${name}:1`], Layers: layerFiles }]));
  return { folder, config };
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'registry-push-'));
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => registry(req, res, Buffer.concat(chunks)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => {
  server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('RegistryPusher', () => {
  const base = Buffer.from('base layer '.repeat(50_000));
  const top = Buffer.from('top layer '.repeat(20_000));

  it('uploads the saved layers and config under their digests, and tags an OCI manifest', async () => {
    const pusher = new RegistryPusher(origin);
    const { folder, config } = savedImage('app', [base, top]);
    const digest = await pusher.push(folder, ['app:1', 'app:latest']);

    const manifest = manifests.get('library/app:1')!;
    expect(manifest.type).toBe(OCI_MANIFEST);
    expect(manifests.get('library/app:latest')).toEqual(manifest);
    expect(digest).toBe(sha(manifest.body));
    const parsed = JSON.parse(manifest.body) as { config: { digest: string; size: number }; layers: Array<{ mediaType: string; digest: string; size: number }> };
    expect(parsed.config).toEqual({ mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length });
    expect(blobs.get(`library/app@${sha(config)}`)).toEqual(config);
    expect(parsed.layers).toEqual([base, top].map((layer) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha(layer), size: layer.length })));
    parsed.layers.forEach((layer, i) => expect(blobs.get(`library/app@${layer.digest}`)).toEqual([base, top][i]));
  });

  it('uploads a layer a repository already holds only once', async () => {
    const pusher = new RegistryPusher(origin);
    await pusher.push(savedImage('first', [base]).folder, ['first:1']);
    const puts = requests.filter((r) => r.startsWith('PUT /v2/library/first/blobs/')).length;
    await pusher.push(savedImage('first', [base, top]).folder, ['first:2']);
    // Only the new layer and the new config go up the second time.
    expect(requests.filter((r) => r.startsWith('PUT /v2/library/first/blobs/')).length - puts).toBe(2);
  });

  it('refuses a registry error with the call and the answer', async () => {
    const pusher = new RegistryPusher(origin);
    await expect(pusher.push(savedImage('full', [top]).folder, ['full:1'])).rejects.toThrow(/registry POST \/v2\/library\/full\/blobs\/uploads\/: HTTP 507 disk full/);
  });
});

describe('hubPath', () => {
  it('puts official images under library/ as Docker asks a Hub mirror', () => {
    expect(hubPath('debian:bookworm-slim')).toEqual({ repository: 'library/debian', tag: 'bookworm-slim' });
    expect(hubPath('someone/tool:1.0')).toEqual({ repository: 'someone/tool', tag: '1.0' });
    expect(() => hubPath('nginx')).toThrow(/without a tag/);
  });
});
