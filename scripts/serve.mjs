// `npm run serve`: serves the built site (dist/, guest included) to the local
// network, for a classroom with no internet: one machine runs this, learners
// open the printed address. A plain static file server with byte ranges,
// ETags and cache headers; any other static host serves dist/ as well.
//
//   node scripts/serve.mjs [--port 8080] [--host 0.0.0.0] [--dir dist] [--no-build | --build-only]
//
// Without --dir it builds the site first (vite build) when dist/ is missing or
// older than its sources or the guest build.

import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
  '.zst': 'application/zstd',
  '.gz': 'application/gzip',
};

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.PORT ?? '8080' },
    host: { type: 'string', default: '0.0.0.0' },
    dir: { type: 'string' },
    'no-build': { type: 'boolean', default: false },
    'build-only': { type: 'boolean', default: false },
  },
});

const dir = path.resolve(args.dir ?? path.join(ROOT, 'dist'));
if (!args.dir && !args['no-build']) buildIfStale();
if (args['build-only']) process.exit(0);
if (!existsSync(path.join(dir, 'index.html'))) fail(`${dir}/index.html does not exist: nothing to serve.`);
if (!existsSync(path.join(dir, 'guest', 'manifest.json'))) {
  console.warn(`Warning: ${path.join(dir, 'guest/manifest.json')} is missing, so the lab machine cannot start. Build the guest (npm run build:guest), then run this again.`);
}

const server = http.createServer((req, res) => {
  try {
    serve(req, res);
  } catch (err) {
    console.error(`[serve] ${req.method} ${req.url}: ${err instanceof Error ? err.stack : err}`);
    if (!res.headersSent) send(res, 500, 'Internal error\n');
    else res.destroy();
  }
});
server.on('error', (err) => fail(`Cannot listen on ${args.host}:${args.port}: ${err.message}`));
server.listen(Number(args.port), args.host, () => {
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  const shown = path.relative(process.cwd(), dir);
  const lines = [`Serving ${shown.startsWith('..') ? dir : shown || '.'}/ (Ctrl-C stops):`];
  if (['0.0.0.0', '::', 'localhost'].includes(args.host) || args.host.startsWith('127.')) lines.push(`  Local:   http://127.0.0.1:${port}/`);
  const lan = lanAddresses(args.host);
  for (const ip of lan) lines.push(`  Network: http://${ip}:${port}/`);
  if (lan.length) {
    lines.push('Learners open a Network address. Over plain http the lab runs but browsers keep no offline copy of it: it needs this server while it runs.');
  }
  // One write, so that a program reading this sees every address at once.
  console.log(lines.join('\n'));
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)).closeAllConnections());

function serve(req, res) {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return send(res, 405, 'Only GET and HEAD\n');
  }
  let pathname;
  try {
    pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  } catch {
    return send(res, 400, 'Bad request path\n');
  }
  const file = path.join(dir, path.posix.normalize(pathname));
  if (pathname.includes('\0') || (file !== dir && !file.startsWith(dir + path.sep))) return send(res, 404, 'Not found\n');
  let stat = statOrNull(file);
  let target = file;
  if (stat?.isDirectory()) {
    if (!pathname.endsWith('/')) {
      res.setHeader('Location', `${pathname}/`);
      return send(res, 301, 'Moved\n');
    }
    target = path.join(file, 'index.html');
    stat = statOrNull(target);
  }
  if (!stat?.isFile()) return send(res, 404, `Not found: ${pathname}\n`);

  const etag = `"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
  res.setHeader('Content-Type', TYPES[path.extname(target).toLowerCase()] ?? 'application/octet-stream');
  res.setHeader('ETag', etag);
  res.setHeader('Last-Modified', stat.mtime.toUTCString());
  res.setHeader('Accept-Ranges', 'bytes');
  // Hashed names never change content; everything else (pages, sw.js, the
  // guest, whose files keep their names across builds) is revalidated each time.
  const relative = path.relative(dir, target).split(path.sep).join('/');
  res.setHeader('Cache-Control', relative.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');

  if (notModified(req, etag, stat.mtime)) return send(res, 304);
  const range = req.headers.range && ifRangeHolds(req, etag, stat.mtime) ? parseRange(req.headers.range, stat.size) : null;
  if (range === 'unsatisfiable') {
    res.setHeader('Content-Range', `bytes */${stat.size}`);
    return send(res, 416, 'Range not satisfiable\n');
  }
  const { start, end } = range ?? { start: 0, end: stat.size - 1 };
  if (range) res.setHeader('Content-Range', `bytes ${start}-${end}/${stat.size}`);
  res.setHeader('Content-Length', String(Math.max(0, end - start + 1)));
  res.statusCode = range ? 206 : 200;
  if (req.method === 'HEAD' || stat.size === 0) return res.end();
  createReadStream(target, { start, end })
    .on('error', () => res.destroy())
    .pipe(res);
}

/**
 * One range of `bytes=a-b`, `bytes=a-` or `bytes=-n`; null (whole file) for
 * anything else, including several ranges, which a server may ignore.
 */
function parseRange(header, size) {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let start;
  let end;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (m[2] !== '' && Number(m[2]) < start) return null;
  }
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

function notModified(req, etag, mtime) {
  const inm = req.headers['if-none-match'];
  if (inm) return inm.split(',').some((t) => t.trim().replace(/^W\//, '') === etag || t.trim() === '*');
  const ims = Date.parse(req.headers['if-modified-since'] ?? '');
  return Number.isFinite(ims) && Math.floor(mtime.getTime() / 1000) <= Math.floor(ims / 1000);
}

function ifRangeHolds(req, etag, mtime) {
  const ifRange = req.headers['if-range'];
  if (!ifRange) return true;
  if (ifRange.startsWith('"') || ifRange.startsWith('W/')) return ifRange === etag;
  return Date.parse(ifRange) >= Math.floor(mtime.getTime() / 1000) * 1000;
}

function send(res, status, body = '') {
  res.statusCode = status;
  if (body) {
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.setHeader('Content-Length', String(Buffer.byteLength(body)));
    res.setHeader('Cache-Control', 'no-store');
  }
  res.end(body);
}

function statOrNull(file) {
  try {
    return statSync(file);
  } catch {
    return null;
  }
}

/** IPv4 addresses of this machine's network interfaces, other than loopback. */
function lanAddresses(host) {
  if (host !== '0.0.0.0' && host !== '::') return host.startsWith('127.') || host === 'localhost' ? [] : [host];
  return Object.values(os.networkInterfaces())
    .flat()
    .filter((a) => a && a.family === 'IPv4' && !a.internal)
    .map((a) => a.address);
}

function buildIfStale() {
  const reason = staleReason();
  if (!reason) return;
  console.log(`Building the site (${reason}): vite build`);
  const vite = path.join(ROOT, 'node_modules', '.bin', 'vite');
  const result = spawnSync(vite, ['build'], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) fail('vite build failed; see above.');
}

function staleReason() {
  const index = path.join(ROOT, 'dist', 'index.html');
  if (!existsSync(index)) return 'dist/ does not exist yet';
  const guestSource = path.join(ROOT, 'build', 'guest', 'out', 'manifest.json');
  const guestBuilt = path.join(ROOT, 'dist', 'guest', 'manifest.json');
  if (existsSync(guestSource) && (!existsSync(guestBuilt) || readFileSync(guestSource, 'utf8') !== readFileSync(guestBuilt, 'utf8'))) {
    return 'the guest build changed';
  }
  const builtAt = statSync(index).mtimeMs;
  const inputs = ['web', 'workers', 'lessons', 'vite.config.ts', 'package-lock.json', 'scripts/vite-guest-artifacts.ts'];
  for (const input of inputs) {
    const newer = newestMtime(path.join(ROOT, input));
    if (newer > builtAt) return `${input} changed since the last build`;
  }
  return null;
}

function newestMtime(p) {
  const stat = statOrNull(p);
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const name of readdirSync(p)) newest = Math.max(newest, newestMtime(path.join(p, name)));
  return newest;
}

function fail(message) {
  console.error(message);
  process.exit(1);
}
