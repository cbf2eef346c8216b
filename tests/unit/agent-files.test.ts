import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base64Encode } from '../../workers/agent-wire';
import { buildAgent, startAgent, type BuiltAgent, type RunningAgent } from './helpers/agent-harness';

let built: BuiltAgent;
let agent: RunningAgent;
let dir: string;

beforeAll(async () => {
  built = buildAgent();
  agent = await startAgent(built.binary);
  dir = mkdtempSync(join(tmpdir(), 'lab-agent-files-'));
});

afterAll(async () => {
  await agent?.stop();
  built?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const failText = (line: string) => Buffer.from(line.split(' ')[2], 'base64').toString();

describe('lab-agent files', () => {
  it('round-trips 300 KB of random binary bytes through writeFile and readFile', async () => {
    const data = new Uint8Array(300_000);
    data.set(randomBytes(data.length));
    for (let i = 0; i < 256; i++) data[i * 7] = i; // every byte value, for certain
    const path = join(dir, 'new/sub/dir/blob.bin');
    await agent.client.writeFile(path, data);
    expect(Buffer.compare(readFileSync(path), data)).toBe(0);
    const back = await agent.client.readFile(path);
    expect(Buffer.compare(back, data)).toBe(0);
    const sum = await agent.client.exec(`sha256sum ${path}`);
    expect(sum.stdout.split(' ')[0]).toBe(createHash('sha256').update(data).digest('hex'));
    expect(statSync(join(dir, 'new/sub')).mode & 0o777).toBe(0o755);
  });

  it('applies the mode on create regardless of umask, and truncates on rewrite', async () => {
    const path = join(dir, 'secret.txt');
    await agent.client.writeFile(path, 'first version, long', 0o600);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const open = join(dir, 'open.sh');
    await agent.client.writeFile(open, '#!/bin/sh\n', 0o777); // a umask of 022 would make this 755
    expect(statSync(open).mode & 0o777).toBe(0o777);
    await agent.client.writeFile(path, 'short');
    expect(readFileSync(path, 'utf8')).toBe('short');
    await agent.client.writeFile(join(dir, 'empty'), '');
    expect(await agent.client.readFile(join(dir, 'empty'))).toEqual(new Uint8Array(0));
  });

  it('reads files whose stat size is 0, like those in /proc', async () => {
    const text = new TextDecoder().decode(await agent.client.readFile('/proc/self/status'));
    expect(text).toMatch(/^Name:\s+lab-agent/);
  });

  it('rejects readFile of a missing file with a message naming the path', async () => {
    const path = join(dir, 'missing.txt');
    await expect(agent.client.readFile(path)).rejects.toThrow(`readFile ${path}: open ${path}: No such file or directory`);
  });

  it('refuses directories and files over 64 MiB', async () => {
    await expect(agent.client.readFile(dir)).rejects.toThrow(`read ${dir}: Is a directory`);
    const big = join(dir, 'big.sparse');
    execFileSync('truncate', ['-s', String(64 * 1024 * 1024 + 1), big]);
    await expect(agent.client.readFile(big)).rejects.toThrow(/larger than 64 MiB/);
  });

  it('rejects writeFile below a regular file with a message naming the path', async () => {
    const file = join(dir, 'plain');
    writeFileSync(file, 'x');
    await expect(agent.client.writeFile(`${file}/child`, 'y')).rejects.toThrow(`open ${file}/child: Not a directory`);
  });

  it('sets the window size of a tty', async () => {
    const helper = join(dir, 'pty-helper');
    const source = `#define _XOPEN_SOURCE 600
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>
int main(void) {
  int m = posix_openpt(O_RDWR | O_NOCTTY);
  char c;
  struct winsize ws;
  if (m < 0 || grantpt(m) || unlockpt(m)) return 1;
  printf("%s\\n", ptsname(m));
  fflush(stdout);
  if (read(0, &c, 1) != 1 || ioctl(m, TIOCGWINSZ, &ws)) return 1;
  printf("%d %d\\n", ws.ws_row, ws.ws_col);
  return 0;
}
`;
    writeFileSync(`${helper}.c`, source);
    execFileSync('gcc', ['-o', helper, `${helper}.c`]);
    const pty = spawn(helper, [], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    const line = (n: number) =>
      new Promise<string>((resolve) => {
        const check = () => out.split('\n').length > n && resolve(out.split('\n')[n - 1]);
        pty.stdout.on('data', (d: Buffer) => ((out += d.toString()), check()));
        check();
      });
    const slave = await line(1);
    await agent.client.setWinsize(slave, 33, 121);
    pty.stdin.write('\n');
    expect(await line(2)).toBe('33 121');
    await expect(agent.client.setWinsize('/dev/null', 24, 80)).rejects.toThrow(/TIOCSWINSZ \/dev\/null/);
  });

  it('answers garbage with fail and keeps serving', async () => {
    agent.sendRaw('garbage\n');
    expect(failText(await agent.waitForLine((l) => l.startsWith('fail 0 ')))).toMatch(/malformed/);
    agent.sendRaw('frobnicate 9001\nping 9002 extra\nexec 9003 !!!! 0 - - -\nread 9004 -\n');
    for (const id of [9001, 9002, 9003, 9004]) await agent.waitForLine((l) => l.startsWith(`fail ${id} `));
    agent.sendRaw(new Uint8Array([0, 255, 10, 0xc3, 32, 32, 10, 13, 10, 1, 2, 3]));
    agent.sendRaw(' \n');
    expect(await agent.client.ping(2000)).toBeGreaterThan(0);
    expect((await agent.client.exec('echo alive')).stdout).toBe('alive\n');
  });

  it('discards a request line over 256 KiB, naming the limit and its id, and keeps serving', async () => {
    agent.sendRaw(`write 9100 ${base64Encode(new TextEncoder().encode(join(dir, 'x')))} 644 T ${'A'.repeat(300 * 1024)}\n`);
    const line = await agent.waitForLine((l) => l.startsWith('fail 9100 '));
    expect(failText(line)).toBe('request line longer than 262144 bytes');
    expect((await agent.client.exec('echo still-here')).stdout).toBe('still-here\n');
  });

  it('refuses locally an exec whose stdin would not fit on one request line', async () => {
    await expect(agent.client.exec('cat', { stdin: new Uint8Array(200 * 1024) })).rejects.toThrow(/line limit/);
  });
});
