// HTTP requests to a port of the lab machine, for the port preview. The
// browser cannot reach the guest's network, so the request is made by curl
// inside the guest (through the agent's exec) and its answer comes back as
// base64 on stdout. This module builds that command and reads its output;
// it is pure, so it can be tested without a guest.

import type { HttpMethod, HttpRequest, HttpResponse } from './protocol';

export const HTTP_METHODS: readonly HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
/** Bodies past this are cut (and marked truncated): a preview, not a download. */
export const MAX_RESPONSE_BYTES = 1024 * 1024;
/** The request travels on one agent request line (256 KiB of base64 at most). */
export const MAX_REQUEST_BODY_BYTES = 64 * 1024;
export const DEFAULT_HTTP_TIMEOUT_MS = 30_000;
export const MAX_HTTP_TIMEOUT_MS = 120_000;
/** Time the agent allows on top of curl's own limit, for mktemp, base64 and cleanup. */
const EXEC_GRACE_MS = 15_000;

export interface HttpExecPlan {
  command: string;
  stdin?: Uint8Array | string;
  timeoutMs: number;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Printable ASCII without space: a path the learner typed, not a whole URL.
const PATH = /^\/[\x21-\x7e]*$/;

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Checks a request and says what is wrong in words a learner can act on. */
export function validateHttpRequest(request: HttpRequest): void {
  const { port, method, path } = request;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`The port must be a whole number from 1 to 65535, not "${String(port)}".`);
  if (!HTTP_METHODS.includes(method)) throw new Error(`The method must be one of ${HTTP_METHODS.join(', ')}, not "${String(method)}".`);
  if (typeof path !== 'string' || !PATH.test(path) || path.length > 2048) {
    throw new Error(`The path must start with "/" and have no spaces (e.g. /todos?done=1), not "${String(path)}".`);
  }
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    if (!TOKEN.test(name)) throw new Error(`"${name}" is not a valid header name.`);
    if (/[\r\n\0]/.test(value)) throw new Error(`The value of the header ${name} must be on one line.`);
  }
  const size = typeof request.body === 'string' ? new TextEncoder().encode(request.body).length : (request.body?.length ?? 0);
  if (size > MAX_REQUEST_BODY_BYTES) throw new Error(`The body is ${size} bytes; the preview sends at most ${MAX_REQUEST_BODY_BYTES}.`);
  const t = request.timeoutMs;
  if (t !== undefined && (!Number.isInteger(t) || t < 1000 || t > MAX_HTTP_TIMEOUT_MS)) {
    throw new Error(`The timeout must be from 1000 to ${MAX_HTTP_TIMEOUT_MS} ms, not ${String(t)}.`);
  }
}

/**
 * The shell command (for the agent's /bin/sh, i.e. dash) that makes the
 * request. Headers go to a file with -D, the body through `head -c` so a
 * huge answer is cut rather than carried; curl's exit code is kept in a file
 * because dash has no pipefail. Its stdout is three lines: `rc <curl exit>`,
 * the headers in base64, the body in base64; curl's message is on stderr.
 */
export function httpExecPlan(request: HttpRequest): HttpExecPlan {
  validateHttpRequest(request);
  const timeoutMs = request.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
  const hasBody = request.body !== undefined && request.method !== 'GET';
  const args = [
    'curl', '-sS', '--globoff', '--path-as-is',
    '--max-time', String(timeoutMs / 1000),
    '--connect-timeout', String(Math.min(10, timeoutMs / 1000)),
    '-X', request.method,
    // No "100 Continue" round trip (and no extra header block) for larger bodies.
    '-H', 'Expect:',
    ...Object.entries(request.headers ?? {}).flatMap(([k, v]) => ['-H', `${k}: ${v}`]),
    ...(hasBody ? ['--data-binary', '@-'] : []),
    '-D', '"$d/h"', '-o', '-',
    `http://127.0.0.1:${request.port}${request.path}`,
  ];
  const curl = args.map((a) => (a === '"$d/h"' ? a : shellQuote(a))).join(' ');
  const command = [
    'd=$(mktemp -d) || exit 90',
    `trap 'rm -rf "$d"' EXIT`,
    `{ ${curl} 2>"$d/e"; echo $? >"$d/rc"; } | head -c ${MAX_RESPONSE_BYTES + 1} >"$d/b"`,
    `printf 'rc %s\\n' "$(cat "$d/rc")"`,
    'touch "$d/h"; base64 -w0 "$d/h"; echo',
    'base64 -w0 "$d/b"; echo',
    'cat "$d/e" >&2',
  ].join('\n');
  return { command, stdin: hasBody ? request.body : undefined, timeoutMs: timeoutMs + EXEC_GRACE_MS };
}

function fromBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Why curl failed, for the exit codes a learner meets; curl's own words follow. */
const CURL_ERRORS: Record<number, string> = {
  7: 'Nothing answers on port {port} of the lab machine (connection refused). Is the container running, and is the app inside it started yet?',
  28: 'Port {port} did not answer in time.',
  52: 'Port {port} closed the connection without an answer.',
  56: 'The connection to port {port} broke while reading the answer.',
  1: 'Port {port} did not answer with HTTP.',
  8: 'Port {port} did not answer with valid HTTP.',
};

/** Reads the answer out of the plan's output; throws a clear error when there is none. */
export function parseHttpExecOutput(
  r: { exitCode: number; stdout: string; stderr: string; timedOut: boolean },
  port: number,
): Omit<HttpResponse, 'ms'> {
  const lines = r.stdout.split('\n');
  const rc = /^rc (\d+)$/.exec(lines[0] ?? '');
  const curlMessage = r.stderr.trim().replace(/^curl: \(\d+\) /, '');
  if (r.timedOut) throw new Error(`Port ${port} did not answer in time.`);
  if (!rc || r.exitCode !== 0 || lines.length < 3) {
    throw new Error(`The request could not be made in the lab machine (exit ${r.exitCode}): ${r.stderr.trim() || r.stdout.trim() || 'no output'}`);
  }
  const headerBytes = fromBase64(lines[1]);
  let body = fromBase64(lines[2]);
  const truncated = body.length > MAX_RESPONSE_BYTES;
  if (truncated) body = body.slice(0, MAX_RESPONSE_BYTES);
  const code = Number(rc[1]);
  // 23 is curl's write error: head stopped reading because the body was too long.
  if (code !== 0 && !(code === 23 && truncated)) {
    const why = (CURL_ERRORS[code] ?? 'The request to port {port} failed.').replace('{port}', String(port));
    throw new Error(curlMessage ? `${why} (curl: ${curlMessage})` : why);
  }
  const head = parseHeaderBlock(headerBytes);
  if (!head) throw new Error(`Port ${port} did not answer with HTTP.`);
  return { ...head, body, truncated };
}

/**
 * The status and headers of the last response in curl's -D dump (earlier
 * blocks would be interim 1xx answers). Bytes are read as Latin-1, as HTTP
 * header bytes are.
 */
export function parseHeaderBlock(bytes: Uint8Array): Pick<HttpResponse, 'status' | 'statusText' | 'headers'> | null {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  const blocks = text.replace(/\r\n/g, '\n').split(/\n\n/).filter((b) => /^HTTP\/\S+ \d{3}/.test(b));
  const last = blocks.at(-1);
  if (!last) return null;
  const [statusLine, ...rest] = last.split('\n');
  const m = /^HTTP\/\S+ (\d{3})(?: (.*))?$/.exec(statusLine);
  if (!m) return null;
  const headers: Array<[string, string]> = [];
  for (const line of rest) {
    if (/^[ \t]/.test(line) && headers.length > 0) {
      // An obsolete folded line continues the previous header.
      const prev = headers[headers.length - 1];
      prev[1] = `${prev[1]} ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
  }
  return { status: Number(m[1]), statusText: (m[2] ?? '').trim(), headers };
}
