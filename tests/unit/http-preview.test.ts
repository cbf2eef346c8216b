import { describe, expect, it } from 'vitest';
import { describeBody, parsePublishedPorts, requestFromForm, sandboxedHtml } from '../../web/http-preview';

const enc = (s: string) => new TextEncoder().encode(s);

describe('parsePublishedPorts', () => {
  it('lists each published TCP port once, with its container, sorted', () => {
    const out = [
      'web\t0.0.0.0:8081->80/tcp, :::8081->80/tcp',
      'todo\t0.0.0.0:8080->8080/tcp, :::8080->8080/tcp',
      'db\t5432/tcp',
      'dns\t0.0.0.0:53->53/udp',
      '',
    ].join('\n');
    expect(parsePublishedPorts(out)).toEqual([
      { port: 8080, container: 'todo', containerPort: 8080 },
      { port: 8081, container: 'web', containerPort: 80 },
    ]);
  });

  it('expands ranges and ignores containers without ports or garbage lines', () => {
    const out = 'multi\t0.0.0.0:9000-9001->7000-7001/tcp\nidle\t\nnot a docker line\n';
    expect(parsePublishedPorts(out)).toEqual([
      { port: 9000, container: 'multi', containerPort: 7000 },
      { port: 9001, container: 'multi', containerPort: 7001 },
    ]);
  });

  it('finds nothing in empty output', () => {
    expect(parsePublishedPorts('')).toEqual([]);
  });
});

describe('requestFromForm', () => {
  it('sends a JSON body with its content type, except for GET', () => {
    expect(requestFromForm({ port: ' 8080 ', method: 'POST', path: 'todos', body: ' {"task":"learn K8s"} ' })).toEqual({
      port: 8080,
      method: 'POST',
      path: '/todos',
      body: '{"task":"learn K8s"}',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(requestFromForm({ port: '8080', method: 'GET', path: '', body: '{"ignored":1}' })).toEqual({ port: 8080, method: 'GET', path: '/' });
  });

  it('percent-encodes non-ASCII letters and keeps existing escapes', () => {
    expect(requestFromForm({ port: '80', method: 'GET', path: '/café?q=a%20b', body: '' }).path).toBe('/caf%C3%A9?q=a%20b');
  });

  it('says what to fix for a bad port, path or body', () => {
    expect(() => requestFromForm({ port: '', method: 'GET', path: '/', body: '' })).toThrow('Choose a port first.');
    expect(() => requestFromForm({ port: '80a', method: 'GET', path: '/', body: '' })).toThrow('"80a" is not a port');
    expect(() => requestFromForm({ port: '70000', method: 'GET', path: '/', body: '' })).toThrow('from 1 to 65535');
    expect(() => requestFromForm({ port: '80', method: 'GET', path: '/a b', body: '' })).toThrow('cannot contain spaces');
    expect(() => requestFromForm({ port: '80', method: 'POST', path: '/', body: '{task: 1}' })).toThrow('The body is not valid JSON');
  });
});

describe('describeBody', () => {
  const response = (type: string | null, body: Uint8Array) => ({ headers: type ? ([['content-type', type]] as Array<[string, string]>) : [], body });

  it('pretty-prints JSON, also without a content type', () => {
    expect(describeBody(response('application/json', enc('["learn K8s"]\n')))).toEqual({ kind: 'json', text: '[\n  "learn K8s"\n]' });
    expect(describeBody(response(null, enc('{"a":1}')))).toEqual({ kind: 'json', text: '{\n  "a": 1\n}' });
    expect(describeBody(response('application/problem+json', enc('{"x":[]}')))).toEqual({ kind: 'json', text: '{\n  "x": []\n}' });
  });

  it('shows broken JSON as text rather than failing', () => {
    expect(describeBody(response('application/json', enc('{"a":')))).toEqual({ kind: 'text', text: '{"a":' });
  });

  it('tells HTML, text, empty and binary bodies apart', () => {
    expect(describeBody(response('text/html; charset=utf-8', enc('<h1>Hi</h1>')))).toEqual({ kind: 'html', text: '<h1>Hi</h1>' });
    expect(describeBody(response('text/plain', enc('hello')))).toEqual({ kind: 'text', text: 'hello' });
    expect(describeBody(response('text/plain', new Uint8Array()))).toEqual({ kind: 'empty' });
    expect(describeBody(response('image/png', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0xff])))).toEqual({ kind: 'binary', bytes: 8 });
    expect(describeBody(response('application/octet-stream', new Uint8Array([1, 2, 3, 0])))).toEqual({ kind: 'binary', bytes: 4 });
  });

  it('decodes the charset the server names', () => {
    expect(describeBody(response('text/plain; charset=iso-8859-1', new Uint8Array([0x63, 0x61, 0x66, 0xe9])))).toEqual({ kind: 'text', text: 'café' });
  });
});

describe('sandboxedHtml', () => {
  it('puts a policy first that forbids scripts and fetches', () => {
    const doc = sandboxedHtml('<script>alert(1)</script><img src="/x.png">');
    expect(doc.indexOf('Content-Security-Policy')).toBeLessThan(doc.indexOf('<script>'));
    expect(doc).toContain(`default-src 'none'`);
    expect(doc).not.toContain('script-src');
  });
});
