// The port preview's pure parts: which ports the running containers publish
// (from `docker ps`), turning the form into a request, and deciding how to
// show an answer. No DOM and no VM here, so all of it is unit-tested.

import type { HttpMethod, HttpRequest, HttpResponse } from '../workers/protocol';

export const PREVIEW_METHODS: readonly HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** One line per running container: its name, a tab, its port list. */
export const DOCKER_PS_PORTS = `docker ps --format '{{.Names}}\t{{.Ports}}'`;

export interface PublishedPort {
  /** The lab machine's port, the one to call. */
  port: number;
  container: string;
  /** The port inside the container it leads to. */
  containerPort: number;
}

/**
 * TCP ports published on the lab machine, one entry per port, sorted.
 * `docker ps` lists "0.0.0.0:8080->8080/tcp, :::8080->8080/tcp" (IPv4 and
 * IPv6 of the same port) and ranges such as "0.0.0.0:8000-8001->8000-8001/tcp".
 */
export function parsePublishedPorts(output: string): PublishedPort[] {
  const found = new Map<number, PublishedPort>();
  for (const line of output.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab < 0) continue;
    const container = line.slice(0, tab).trim();
    for (const m of line.slice(tab + 1).matchAll(/:(\d+)(?:-(\d+))?->(\d+)(?:-\d+)?\/tcp/g)) {
      const first = Number(m[1]);
      const last = m[2] ? Number(m[2]) : first;
      for (let port = first; port <= last && port - first < 100; port++) {
        if (!found.has(port)) found.set(port, { port, container, containerPort: Number(m[3]) + (port - first) });
      }
    }
  }
  return [...found.values()].sort((a, b) => a.port - b.port);
}

export interface PreviewForm {
  port: string;
  method: HttpMethod;
  path: string;
  /** JSON text; ignored for GET. */
  body: string;
}

/** What the learner typed, as a request; throws an Error that says what to fix. */
export function requestFromForm(form: PreviewForm): HttpRequest {
  const portText = form.port.trim();
  const port = /^\d+$/.test(portText) ? Number(portText) : NaN;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(portText ? `"${portText}" is not a port: use a number from 1 to 65535.` : 'Choose a port first.');
  }
  if (!PREVIEW_METHODS.includes(form.method)) throw new Error(`Unknown method "${form.method}".`);
  let path = form.path.trim() || '/';
  if (!path.startsWith('/')) path = `/${path}`;
  if (/\s/.test(path)) throw new Error('The path cannot contain spaces; write them as %20.');
  // Letters such as "é" are sent percent-encoded, as a browser would; existing %xx stay as typed.
  path = path.replace(/[^\x21-\x7e]+/g, (chars) => encodeURIComponent(chars));
  const request: HttpRequest = { port, method: form.method, path };
  const body = form.body.trim();
  if (form.method !== 'GET' && body !== '') {
    try {
      JSON.parse(body);
    } catch (err) {
      throw new Error(`The body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    request.body = body;
    request.headers = { 'Content-Type': 'application/json' };
  }
  return request;
}

export type BodyView =
  | { kind: 'empty' }
  | { kind: 'json'; text: string }
  | { kind: 'html'; text: string }
  | { kind: 'text'; text: string }
  | { kind: 'binary'; bytes: number };

export function headerValue(response: Pick<HttpResponse, 'headers'>, name: string): string | null {
  const lower = name.toLowerCase();
  return response.headers.find(([k]) => k === lower)?.[1] ?? null;
}

/** How to show a body: JSON pretty-printed, HTML as HTML, other text as is, anything else by size. */
export function describeBody(response: Pick<HttpResponse, 'headers' | 'body'>): BodyView {
  if (response.body.length === 0) return { kind: 'empty' };
  const type = (headerValue(response, 'content-type') ?? '').toLowerCase();
  let text: string;
  try {
    text = new TextDecoder(charsetOf(type), { fatal: true }).decode(response.body);
  } catch {
    return { kind: 'binary', bytes: response.body.length };
  }
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x08\x0e-\x1f]/.test(text) && !/^text\//.test(type)) return { kind: 'binary', bytes: response.body.length };
  if (/[/+]json\b/.test(type) || (type === '' && /^\s*[[{]/.test(text))) {
    try {
      return { kind: 'json', text: JSON.stringify(JSON.parse(text), null, 2) };
    } catch {
      return { kind: 'text', text };
    }
  }
  if (type.startsWith('text/html') || type.startsWith('application/xhtml')) return { kind: 'html', text };
  return { kind: 'text', text };
}

function charsetOf(contentType: string): string {
  const m = /charset="?([\w-]+)/.exec(contentType);
  if (!m) return 'utf-8';
  try {
    return new TextDecoder(m[1]).encoding;
  } catch {
    return 'utf-8';
  }
}

/**
 * The HTML for a sandboxed srcdoc frame. The sandbox stops scripts, forms
 * and access to the lab's page; this policy also keeps the frame from
 * fetching relative URLs, which would resolve against the lab's origin, not
 * the container (the browser cannot reach the lab machine's network).
 */
export function sandboxedHtml(html: string): string {
  const policy = `default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:`;
  return `<!doctype html><meta http-equiv="Content-Security-Policy" content="${policy}">${html}`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}
