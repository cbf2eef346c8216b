// The built site served by `npm run serve` (scripts/serve.mjs) as its own
// process, for the offline and classroom specs: a service worker only exists
// in the production build, and "cutting the network" can then mean stopping
// the server for real.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../../..');
const SERVE = path.join(ROOT, 'scripts/serve.mjs');

export interface SiteServer {
  /** First URL the server printed: the Network one when there is one, else Local. */
  url: string;
  printed: string;
  stop(): Promise<void>;
}

export interface SiteOptions {
  port?: number;
  host?: string;
  /** Serve this folder instead of dist/ (never builds). */
  dir?: string;
  /** Run the server inside this network namespace (`ip netns exec`). */
  netns?: string;
}

/** Builds dist/ if it is missing or stale, the way `npm run serve` does. */
export function buildSite(): void {
  const r = spawnSync(process.execPath, [SERVE, '--port', '0', '--host', '127.0.0.1', '--build-only'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building the site failed:\n${r.stdout}\n${r.stderr}`);
}

export async function startSite(options: SiteOptions = {}): Promise<SiteServer> {
  const args = [SERVE, '--port', String(options.port ?? 0), '--host', options.host ?? '127.0.0.1'];
  if (options.dir) args.push('--dir', options.dir);
  else args.push('--no-build');
  const [cmd, argv] = options.netns ? ['ip', ['netns', 'exec', options.netns, process.execPath, ...args]] : [process.execPath, args];
  const child: ChildProcess = spawn(cmd, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let printed = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve.mjs printed no URL in 60 s:\n${printed}`)), 60_000);
    const onData = (d: Buffer) => {
      printed += d.toString();
      const found = /Network: +(http:\/\/\S+\/)/.exec(printed) ?? /Local: +(http:\/\/\S+\/)/.exec(printed);
      if (found) {
        clearTimeout(timer);
        resolve(found[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (d: Buffer) => (printed += d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve.mjs exited with ${code}:\n${printed}`));
    });
  });
  console.log(`[serve] ${printed.trim().split('\n').join(' | ')}`);
  return {
    url,
    get printed() {
      return printed;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** A copy of dist/ made of hard links (the guest is hundreds of MB); replace files in it with rm + write, never in place. */
export function linkedCopyOfSite(target: string): string {
  fs.rmSync(target, { recursive: true, force: true });
  const r = spawnSync('cp', ['-al', path.join(ROOT, 'dist'), target], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cp -al failed: ${r.stderr}`);
  return target;
}
