// Serves the guest build (build/guest/out) at /guest/ in `vite` and
// `vite preview`, and puts it into dist/guest on `vite build` so the built
// site runs from any static file server.
//
// The artifacts are served byte for byte: v86 unpacks .zst itself and would be
// handed the wrong bytes if a Content-Encoding made the browser unpack .gz first.

import fs from 'node:fs';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import sirv from 'sirv';
import type { Plugin, ResolvedConfig } from 'vite';

export interface GuestArtifactsOptions {
  /** Folder with manifest.json and the files it names. */
  dir: string;
  /** URL path the folder is served at, and its name inside the build output. */
  urlPath?: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.zst': 'application/zstd',
  '.gz': 'application/gzip',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
};

export function guestArtifacts(options: GuestArtifactsOptions): Plugin {
  const urlPath = `/${(options.urlPath ?? 'guest').replace(/^\/+|\/+$/g, '')}`;
  let config: ResolvedConfig;

  const middleware = () => {
    // dev mode: look files up per request, because the guest build may finish
    // while the server is already running.
    const serve = sirv(options.dir, { dev: true, etag: true, setHeaders: setArtifactHeaders });
    return (req: IncomingMessage, res: ServerResponse, next: () => void) => {
      if (req.method !== 'GET' && req.method !== 'HEAD') return next();
      serve(req, res, () => notFound(req, res, options.dir));
    };
  };

  return {
    name: 'docker-lab:guest-artifacts',
    configResolved(resolved) {
      config = resolved;
    },
    configureServer(server) {
      server.middlewares.use(urlPath, middleware());
    },
    configurePreviewServer(server) {
      server.middlewares.use(urlPath, middleware());
    },
    closeBundle() {
      if (config.command !== 'build') return;
      const target = path.join(path.resolve(config.root, config.build.outDir), urlPath);
      if (!fs.existsSync(path.join(options.dir, 'manifest.json'))) {
        config.logger.warn(
          `\n[guest-artifacts] ${options.dir}/manifest.json not found: the build has no ${urlPath}/ folder. Run npm run build:guest first.`,
        );
        return;
      }
      const files = linkTree(options.dir, target);
      config.logger.info(`[guest-artifacts] ${files} guest files placed in ${path.relative(process.cwd(), target)}/`);
    },
  };
}

function setArtifactHeaders(res: ServerResponse, pathname: string): void {
  const ext = path.extname(pathname).toLowerCase();
  res.setHeader('Content-Type', CONTENT_TYPES[ext] ?? 'application/octet-stream');
  res.setHeader('Content-Encoding', 'identity');
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Access-Control-Allow-Origin', '*');
}

function notFound(req: IncomingMessage, res: ServerResponse, dir: string): void {
  res.statusCode = 404;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.end(`Not found in the guest build (${dir}): ${req.url ?? ''}\n`);
}

/** Hard-links (or, across file systems, copies) every file, following symlinks; returns how many. */
function linkTree(from: string, to: string): number {
  fs.mkdirSync(to, { recursive: true });
  let count = 0;
  for (const name of fs.readdirSync(from)) {
    const src = fs.realpathSync(path.join(from, name));
    const dst = path.join(to, name);
    const stat = fs.statSync(src);
    if (stat.isDirectory()) {
      count += linkTree(src, dst);
    } else if (stat.isFile()) {
      fs.rmSync(dst, { force: true });
      try {
        fs.linkSync(src, dst);
      } catch {
        fs.copyFileSync(src, dst);
      }
      count++;
    }
  }
  return count;
}
