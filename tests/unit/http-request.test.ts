// The port preview's request path without a VM: the command from
// httpExecPlan runs through the real lab-agent (built natively) and the real
// curl against a real HTTP server on this machine, and its output is read
// back with parseHttpExecOutput, as VmService.httpRequest does in the guest.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_RESPONSE_BYTES, httpExecPlan, parseHeaderBlock, parseHttpExecOutput, validateHttpRequest } from '../../workers/http-request';
import type { HttpRequest } from '../../workers/protocol';
import { buildAgent, startAgent, type BuiltAgent, type RunningAgent } from './helpers/agent-harness';

let built: BuiltAgent;
let agent: RunningAgent;
let server: Server;
let port: number;
const todos: string[] = [];

function todoApi(): Server {
  return createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (req.url === '/todos' && req.method === 'POST') {
        todos.push((JSON.parse(body) as { task: string }).task);
        res.writeHead(201, 'CREATED', { 'Content-Type': 'application/json', 'X-Seen-Type': req.headers['content-type'] ?? '' });
        res.end('{"result":"added"}\n');
      } else if (req.url === '/todos') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(`${JSON.stringify(todos)}\n`);
      } else if (req.url === '/big') {
        res.writeHead(200, { 'Content-Type': 'text/plain', 'Set-Cookie': ['a=1', 'b=2'] });
        res.end('x'.repeat(MAX_RESPONSE_BYTES + 5000));
      } else if (req.url === '/bytes') {
        res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
        res.end(Buffer.from([0, 1, 2, 0xff, 0xfe, 10, 13]));
      } else if (req.url === '/silent') {
        req.socket.destroy();
      } else {
        res.writeHead(404, { 'Content-Type': 'text/plain' });
        res.end(`no route for ${req.method} ${req.url}`);
      }
    });
  });
}

async function call(request: HttpRequest) {
  const plan = httpExecPlan(request);
  const r = await agent.client.exec(plan.command, { stdin: plan.stdin, timeoutMs: plan.timeoutMs });
  return parseHttpExecOutput(r, request.port);
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

beforeAll(async () => {
  built = buildAgent();
  agent = await startAgent(built.binary);
  server = todoApi();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await agent?.stop();
  built?.cleanup();
  await new Promise((resolve) => server?.close(resolve));
});

describe('HTTP requests through the agent and curl', () => {
  it('POSTs a JSON body and GETs it back, with status and headers', async () => {
    const post = await call({ port, method: 'POST', path: '/todos', headers: { 'Content-Type': 'application/json' }, body: '{"task":"learn K8s"}' });
    expect(post.status).toBe(201);
    expect(post.statusText).toBe('CREATED');
    expect(post.headers).toContainEqual(['x-seen-type', 'application/json']);
    expect(text(post.body)).toBe('{"result":"added"}\n');

    const get = await call({ port, method: 'GET', path: '/todos' });
    expect(get.status).toBe(200);
    expect(get.headers).toContainEqual(['content-type', 'application/json']);
    expect(text(get.body)).toBe('["learn K8s"]\n');
    expect(get.truncated).toBe(false);
  });

  it('reports an error status as an answer, not as a failure', async () => {
    const r = await call({ port, method: 'DELETE', path: '/nothing?x=[1]' });
    expect(r.status).toBe(404);
    expect(text(r.body)).toBe('no route for DELETE /nothing?x=[1]');
  });

  it('keeps binary bodies byte for byte', async () => {
    expect([...(await call({ port, method: 'GET', path: '/bytes' })).body]).toEqual([0, 1, 2, 0xff, 0xfe, 10, 13]);
  });

  it('cuts a body past the limit and says so, keeping repeated headers apart', async () => {
    const r = await call({ port, method: 'GET', path: '/big' });
    expect(r.status).toBe(200);
    expect(r.truncated).toBe(true);
    expect(r.body.length).toBe(MAX_RESPONSE_BYTES);
    expect(r.headers.filter(([k]) => k === 'set-cookie')).toEqual([
      ['set-cookie', 'a=1'],
      ['set-cookie', 'b=2'],
    ]);
  });

  it('says that nothing listens on a closed port', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const free = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(call({ port: free, method: 'GET', path: '/' })).rejects.toThrow(`Nothing answers on port ${free} of the lab machine (connection refused)`);
  });

  it('says when the server hangs up without answering', async () => {
    await expect(call({ port, method: 'GET', path: '/silent' })).rejects.toThrow(`Port ${port} closed the connection without an answer`);
  });
});

describe('validateHttpRequest', () => {
  const ok: HttpRequest = { port: 8080, method: 'GET', path: '/' };
  it('refuses what cannot be sent, saying why', () => {
    expect(() => validateHttpRequest({ ...ok, port: 0 })).toThrow('from 1 to 65535');
    expect(() => validateHttpRequest({ ...ok, method: 'TRACE' as never })).toThrow('The method must be one of');
    expect(() => validateHttpRequest({ ...ok, path: 'todos' })).toThrow('must start with "/"');
    expect(() => validateHttpRequest({ ...ok, path: '/a b' })).toThrow('no spaces');
    expect(() => validateHttpRequest({ ...ok, headers: { 'Bad Name': 'x' } })).toThrow('not a valid header name');
    expect(() => validateHttpRequest({ ...ok, headers: { X: 'a\r\nInjected: 1' } })).toThrow('on one line');
    expect(() => validateHttpRequest({ ...ok, method: 'POST', body: 'x'.repeat(70_000) })).toThrow('at most 65536');
    expect(() => validateHttpRequest({ ...ok, timeoutMs: 5 })).toThrow('The timeout must be');
  });

  it('quotes what the learner typed, so the shell never interprets it', () => {
    const plan = httpExecPlan({ ...ok, path: "/x';touch${IFS}/tmp/pwned;'" });
    expect(plan.command).toContain(`'http://127.0.0.1:8080/x'\\'';touch\${IFS}/tmp/pwned;'\\'''`);
  });
});

describe('parseHeaderBlock', () => {
  const bytes = (s: string) => new TextEncoder().encode(s);
  it('takes the final answer after an interim one, and joins folded lines', () => {
    const head = parseHeaderBlock(bytes('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nA: 1\r\nB: x\r\n  y\r\n\r\n'));
    expect(head).toEqual({ status: 200, statusText: 'OK', headers: [['a', '1'], ['b', 'x y']] });
  });

  it('accepts a status line without a reason and rejects non-HTTP', () => {
    expect(parseHeaderBlock(bytes('HTTP/1.0 204\r\n\r\n'))).toEqual({ status: 204, statusText: '', headers: [] });
    expect(parseHeaderBlock(bytes('SSH-2.0-OpenSSH\r\n'))).toBeNull();
  });
});
