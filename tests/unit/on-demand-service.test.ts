// lab-on-demand (guest-rootfs/runtime/lab-on-demand.c), built natively and run
// on this machine: it holds a port, starts the service at the first connection,
// relays bytes both ways, and starts the service again after it died.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildOnDemand, freePort } from './helpers/on-demand.ts';


/** A service that greets each connection with its pid, then echoes in upper case. */
const SERVICE = `
const net = require('node:net');
net.createServer((s) => {
  s.write('pid ' + process.pid + '\\n');
  s.on('data', (d) => s.write(d.toString().toUpperCase()));
  s.on('end', () => s.end());
}).listen(process.argv[1]);
`;


/** Sends `message`, half-closes, and returns everything the other side sent until it closed. */
function converse(port: number, message: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => { received += chunk; });
    socket.on('connect', () => socket.end(message));
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
  });
}

/** False once the process is gone or a zombie (it exited; its new parent may not have reaped it yet). */
function running(pid: number): boolean {
  try {
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}

let proxy: ChildProcess | undefined;
let dir: string | undefined;

afterEach(() => {
  proxy?.kill('SIGKILL');
  proxy = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('lab-on-demand', () => {
  it('starts the service at the first connection, relays both ways, starts it again after it died, and ends it when killed itself', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lab-on-demand-'));
    const binary = buildOnDemand(dir);
    const port = await freePort();
    const socket = join(dir, 'service.sock');
    const stderr: string[] = [];
    proxy = spawn(binary, [String(port), socket, process.execPath, '-e', SERVICE, socket]);
    proxy.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    // Listening before any service runs: connecting is what starts it.
    await expect.poll(async () => converse(port, 'hello').catch(() => ''), { timeout: 20_000 }).toMatch(/^pid \d+\nHELLO$/);
    const first = await converse(port, 'again');
    const pid = Number(/^pid (\d+)/.exec(first)![1]);
    expect(first).toBe(`pid ${pid}\nAGAIN`);
    expect(stderr.join('')).toMatch(/started .* for a first connection/);

    process.kill(pid, 'SIGKILL');
    // Gone from /proc once lab-on-demand has reaped it.
    await expect.poll(() => existsSync(`/proc/${pid}`)).toBe(false);
    const restarted = await converse(port, 'back');
    expect(restarted).toMatch(/^pid \d+\nBACK$/);
    expect(restarted).not.toContain(`pid ${pid}\n`);
    expect(stderr.join('')).toMatch(/service exited \(status 9\)/);

    // The service ends with its holder (a restarted holder must not find a stray one).
    const second = Number(/^pid (\d+)/.exec(restarted)![1]);
    proxy.kill('SIGKILL');
    await expect.poll(() => running(second), { timeout: 10_000 }).toBe(false);
  }, 60_000);
});
