// Builds lab-on-demand (guest-rootfs/runtime/) natively for the tests that run it
// on this machine, and finds them a free port.
import { execFileSync } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCES = ['lab-on-demand.c', 'layer-front.c'].map((file) => fileURLToPath(new URL(`../../../guest-rootfs/runtime/${file}`, import.meta.url)));

/** Compiles lab-on-demand into `dir`, warnings as errors; returns the binary's path. */
export function buildOnDemand(dir: string): string {
  const binary = join(dir, 'lab-on-demand');
  execFileSync('gcc', ['-O2', '-Wall', '-Wextra', '-Werror', '-o', binary, ...SOURCES], { stdio: 'pipe' });
  return binary;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
