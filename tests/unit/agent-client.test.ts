// AgentClient against a scripted fake agent: exact bytes on the wire, and
// replies (including noise and awkward chunking) fed back by hand.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AgentClient, TRUNCATION_MARKER } from '../../workers/agent-client';
import { base64Encode } from '../../workers/agent-wire';

const enc = new TextEncoder();
const b64 = (s: string | Uint8Array) => base64Encode(typeof s === 'string' ? enc.encode(s) : s);

function setup(requestTimeoutMs?: number) {
  const sent: string[] = [];
  const client = new AgentClient((bytes) => sent.push(new TextDecoder().decode(bytes)), { requestTimeoutMs, firstId: 1 });
  const reply = (text: string) => client.feed(enc.encode(text));
  return { client, sent, reply };
}

afterEach(() => vi.useRealTimers());

describe('AgentClient', () => {
  it('encodes an exec request with increasing ids and all fields', async () => {
    const { client, sent, reply } = setup();
    const first = client.exec('echo hi', { timeoutMs: 500, cwd: '/tmp', env: { A: '1', B: 'x y' }, stdin: 'in' });
    const second = client.exec('true');
    expect(sent).toEqual([
      `exec 1 ${b64('echo hi')} 500 ${b64('/tmp')} ${b64('A=1\0B=x y\0')} ${b64('in')}\n`,
      `exec 2 ${b64('true')} 0 - - -\n`,
    ]);
    reply(`exit 2 0 1 -\nout 1 ${b64('hi\n')}\nerr 1 ${b64('warn')}\nexit 1 0 12 -\n`);
    expect(await first).toEqual({
      exitCode: 0, stdout: 'hi\n', stderr: 'warn', ms: 12, timedOut: false, truncated: false, killed: false,
    });
    expect((await second).exitCode).toBe(0);
  });

  it('decodes UTF-8 split across chunks and feeds raw chunks to callbacks', async () => {
    const { client, reply } = setup();
    const seen: number[] = [];
    const run = client.exec('x', { onStdout: (c) => seen.push(c.length) });
    const bytes = enc.encode('€uro');
    reply(`out 1 ${b64(bytes.subarray(0, 2))}\n`);
    reply(`out 1 ${b64(bytes.subarray(2))}\n`);
    reply('exit 1 0 5 -\n');
    expect((await run).stdout).toBe('€uro');
    expect(seen).toEqual([2, 4]);
  });

  it('reports flags and appends a truncation marker', async () => {
    const { client, reply } = setup();
    const run = client.exec('x');
    reply(`out 1 ${b64('aaa')}\nexit 1 137 900 timeout,killed,truncated\n`);
    const r = await run;
    expect(r).toMatchObject({ exitCode: 137, timedOut: true, killed: true, truncated: true });
    expect(r.stdout).toBe('aaa' + TRUNCATION_MARKER);
  });

  it('ignores and counts noise, including reply-shaped lines with bad base64 or unknown ids', async () => {
    const { client, reply } = setup();
    const run = client.exec('x');
    reply('[    0.000000] Linux version 6.1\r\nout 1 !!notbase64\nok 99 -\nexit 1 zero 1 -\n');
    expect(client.ignoredLines).toBe(4);
    reply(`out 1 ${b64('ok')}\nexit 1 0 1 -\n`);
    expect((await run).stdout).toBe('ok');
  });

  it('rejects an exec with the agent’s fail message', async () => {
    const { client, reply } = setup();
    const run = client.exec('x');
    reply(`fail 1 ${b64('busy')}\n`);
    await expect(run).rejects.toThrow('exec 1: busy');
  });

  it('rejects an exec only when no exit arrives within timeoutMs + 10 s, and kills it', async () => {
    vi.useFakeTimers();
    const { client, sent } = setup();
    const run = client.exec('sleep 99', { timeoutMs: 1000 });
    const outcome = run.then(() => 'resolved', (e: Error) => e.message);
    await vi.advanceTimersByTimeAsync(10_999);
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(await outcome).toMatch(/exec 1: no exit within 11000 ms/);
    expect(sent[1]).toBe('kill 2 1\n');
  });

  it('writes files in 48 KiB chunks, truncate first then append, waiting for each ok', async () => {
    const { client, sent, reply } = setup();
    const data = new Uint8Array(100 * 1024).map((_, i) => i % 251);
    const done = client.writeFile('/a b/f', data, 0o600);
    const path = b64('/a b/f');
    await Promise.resolve();
    expect(sent).toEqual([`write 1 ${path} 600 T ${b64(data.subarray(0, 49152))}\n`]);
    reply('ok 1 -\n');
    await vi.waitFor(() => expect(sent).toHaveLength(2));
    expect(sent[1]).toBe(`write 2 ${path} 600 A ${b64(data.subarray(49152, 98304))}\n`);
    reply('ok 2 -\n');
    await vi.waitFor(() => expect(sent).toHaveLength(3));
    expect(sent[2]).toBe(`write 3 ${path} 600 A ${b64(data.subarray(98304))}\n`);
    reply('ok 3 -\n');
    await done;
  });

  it('writes an empty file with a single truncating request', async () => {
    const { client, sent, reply } = setup();
    const done = client.writeFile('/e', '');
    expect(sent).toEqual([`write 1 ${b64('/e')} 644 T -\n`]);
    reply('ok 1 -\n');
    await done;
  });

  it('assembles readFile data and checks the total size', async () => {
    const { client, reply } = setup();
    const good = client.readFile('/f');
    reply(`data 1 ${b64('hel')}\ndata 1 ${b64('lo')}\nok 1 5\n`);
    expect(new TextDecoder().decode(await good)).toBe('hello');
    const short = client.readFile('/g');
    reply(`data 2 ${b64('hel')}\nok 2 5\n`);
    await expect(short).rejects.toThrow('readFile /g: agent reported 5 bytes but sent 3');
  });

  it('names the path when a file request fails', async () => {
    const { client, reply } = setup();
    const run = client.readFile('/nope');
    reply(`fail 1 ${b64('open /nope: No such file or directory')}\n`);
    await expect(run).rejects.toThrow('readFile /nope: open /nope: No such file or directory');
  });

  it('times out a ping and fails every pending request on abortAll', async () => {
    vi.useFakeTimers();
    const { client } = setup(1000);
    const ping = client.ping(200).catch((e: Error) => e.message);
    await vi.advanceTimersByTimeAsync(200);
    expect(await ping).toBe('ping: lab-agent did not answer within 200 ms');
    const run = client.exec('x').catch((e: Error) => e.message);
    const read = client.readFile('/f').catch((e: Error) => e.message);
    client.abortAll('the virtual machine was reset');
    expect(await run).toBe('exec 2: the virtual machine was reset');
    expect(await read).toBe('readFile /f: the virtual machine was reset');
  });

  it('waitReady resolves on a ready line, and fails requests the old agent will never answer', async () => {
    const { client, reply } = setup();
    const versions: string[] = [];
    client.onReady((v) => versions.push(v));
    const run = client.exec('x').catch((e: Error) => e.message);
    const ready = client.waitReady(1000);
    reply('ready 1\n');
    await ready;
    expect(versions).toEqual(['1']);
    expect(await run).toMatch(/exec 1: lab-agent restarted/);
  });

  it('asks the agent to end every exec a restored state left running, and reads the count', async () => {
    const { client, sent, reply } = setup();
    const ended = client.killAll();
    expect(sent).toEqual(['killall 1\n']);
    reply('ok 1 2\n');
    expect(await ended).toBe(2);
  });

  it('starts its ids at a random point, so a new session never takes the ids of execs a save left running', () => {
    const firstIds = Array.from({ length: 3 }, () => {
      const sent: string[] = [];
      void new AgentClient((bytes) => sent.push(new TextDecoder().decode(bytes))).ping(10).catch(() => undefined);
      return Number(sent[0]!.split(' ')[1]);
    });
    for (const id of firstIds) expect(Number.isSafeInteger(id) && id >= 1).toBe(true);
    expect(new Set(firstIds).size).toBe(3);
  });

  it('waitReady resolves when a ping is answered, without any ready line', async () => {
    const { client, sent, reply } = setup();
    const ready = client.waitReady(1000);
    expect(sent).toEqual(['ping 1\n']);
    reply('ok 1 123456\n');
    await ready;
  });

  it('waitReady rejects after its timeout when nothing answers', async () => {
    vi.useFakeTimers();
    const { client } = setup();
    const ready = client.waitReady(1200).catch((e: Error) => e.message);
    await vi.advanceTimersByTimeAsync(1200);
    expect(await ready).toBe('lab-agent did not become ready within 1200 ms');
  });

  it('refuses bad env names and out-of-range window sizes before sending', async () => {
    const { client, sent } = setup();
    await expect(client.exec('x', { env: { 'A=B': '1' } })).rejects.toThrow(/invalid environment variable/);
    await expect(client.setWinsize('/dev/ttyS0', 0, 80)).rejects.toThrow(/bad size/);
    expect(sent).toEqual([]);
  });
});
