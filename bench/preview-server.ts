// `vite preview` of the production build for the browser benches.
import { spawn, type ChildProcess } from 'node:child_process';
import { REPO_ROOT } from '../image-build/lib/paths.ts';

/** The production build (`dist/`, the guest at /guest/) served on 127.0.0.1:`port`. */
export async function serve(port: number): Promise<ChildProcess> {
  const server = spawn(`${REPO_ROOT}/node_modules/.bin/vite`, ['preview', '--port', String(port), '--strictPort', '--host', '127.0.0.1'], { cwd: REPO_ROOT, stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    if (await fetch(`http://127.0.0.1:${port}/`).then((r) => r.ok, () => false)) return server;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  server.kill();
  throw new Error('vite preview did not start');
}
