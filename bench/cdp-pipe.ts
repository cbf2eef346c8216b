// Debian's Chromium driven over its DevTools pipe with no domain enabled but
// what a command needs. Playwright enables the Network domain on every page and
// worker, and DevTools then keeps each response body in the renderer for
// `Network.getResponseBody`: 47 MB of it after 400 disk parts (32 MB) were
// fetched, for as long as the page lives. The tab's memory is measured without it.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

interface Reply {
  id?: number;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: { message: string };
  sessionId?: string;
}

export class CdpPipe {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(result: unknown): void; reject(err: Error): void }>();
  private readonly chrome: ChildProcess;
  private readonly exited: Promise<void>;

  /** Starts Chromium with `args` (its profile among them) and the pipe. */
  constructor(args: string[]) {
    // fd 3 is what Chromium reads, fd 4 what it writes: JSON messages each ended by a NUL.
    this.chrome = spawn('/usr/bin/chromium', [...args, '--remote-debugging-pipe', 'about:blank'], { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => this.chrome.once('exit', () => resolve()));
    this.exited.then(() => {
      for (const { reject } of this.waiting.values()) reject(new Error('Chromium exited'));
      this.waiting.clear();
    });
    let pending = '';
    (this.chrome.stdio[4] as Readable).on('data', (chunk: Buffer) => {
      const messages = (pending + chunk.toString('utf8')).split('\0');
      pending = messages.pop()!;
      for (const text of messages) this.receive(JSON.parse(text) as Reply);
    });
  }

  send<T = unknown>(method: string, params: object = {}, sessionId?: string): Promise<T> {
    const id = this.nextId++;
    (this.chrome.stdio[3] as Writable).write(`${JSON.stringify({ id, method, params, sessionId })}\0`);
    return new Promise<T>((resolve, reject) => this.waiting.set(id, { resolve: resolve as (result: unknown) => void, reject }));
  }

  /** A page at `url` and the session that drives it. */
  async openPage(url: string): Promise<string> {
    const { targetId } = await this.send<{ targetId: string }>('Target.createTarget', { url });
    const { sessionId } = await this.send<{ sessionId: string }>('Target.attachToTarget', { targetId, flatten: true });
    return sessionId;
  }

  /** `expression`'s value in the page (awaited if it is a promise); throws what the page threw. */
  async evaluate<T>(sessionId: string, expression: string): Promise<T> {
    const reply = await this.send<{ result: { value: T }; exceptionDetails?: { exception?: { description?: string }; text: string } }>(
      'Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true }, sessionId);
    if (reply.exceptionDetails) throw new Error(reply.exceptionDetails.exception?.description ?? reply.exceptionDetails.text);
    return reply.result.value;
  }

  async close(): Promise<void> {
    await Promise.race([this.send('Browser.close').catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 5000))]);
    this.chrome.kill();
    await this.exited;
  }

  private receive(reply: Reply): void {
    if (reply.id === undefined) return; // an event: nothing here subscribes to any
    const waiter = this.waiting.get(reply.id);
    this.waiting.delete(reply.id);
    if (reply.error) waiter?.reject(new Error(reply.error.message));
    else waiter?.resolve(reply.result);
  }
}
