// Host side of the lab-agent protocol (guest-rootfs/agent/PROTOCOL.md): turns
// method calls into request lines on the guest's second serial port and the
// agent's reply lines back into promises. DOM-free and Node-free.

import { LineSplitter, MAX_REQUEST_LINE, decodeField, encodeField } from './agent-wire';

export interface AgentExecOptions {
  /** Enforced by the agent (SIGKILL of the process group); 0 or absent = no limit. */
  timeoutMs?: number;
  cwd?: string;
  env?: Record<string, string>;
  stdin?: Uint8Array | string;
  onStdout?(chunk: Uint8Array): void;
  onStderr?(chunk: Uint8Array): void;
  /** Called with the exec's id as soon as the request is sent, e.g. to `kill` it later. */
  onStart?(id: number): void;
}

export interface AgentExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
  truncated: boolean;
  killed: boolean;
}

export const TRUNCATION_MARKER = '\n[lab-agent: output truncated after 8 MiB]\n';

/** writeFile chunk size: 64 KiB of base64, well under the agent's line limit. */
const WRITE_CHUNK = 48 * 1024;
/** The agent enforces exec timeouts; the host only gives up if `exit` is this late. */
const EXEC_HOST_GRACE_MS = 10_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const READY_PING_INTERVAL_MS = 500;

type Timer = ReturnType<typeof setTimeout>;

interface PendingBase {
  /** Names the request in error messages, e.g. `readFile /etc/hosts`. */
  what: string;
  timer?: Timer;
  reject(error: Error): void;
}

interface PendingExec extends PendingBase {
  kind: 'exec';
  options: AgentExecOptions;
  stdout: string[];
  stderr: string[];
  stdoutDecoder: TextDecoder;
  stderrDecoder: TextDecoder;
  resolve(result: AgentExecResult): void;
}

interface PendingRead extends PendingBase {
  kind: 'read';
  chunks: Uint8Array[];
  size: number;
  resetTimer(): void;
  resolve(rest: string): void;
}

/** Requests answered by a single `ok <id> <rest>` or `fail`. */
interface PendingSimple extends PendingBase {
  kind: 'simple';
  resolve(rest: string): void;
}

type Pending = PendingExec | PendingRead | PendingSimple;

export class AgentClient {
  private readonly requestTimeoutMs: number;
  private readonly splitter = new LineSplitter();
  private readonly pending = new Map<number, Pending>();
  private readonly readyListeners = new Set<(version: string) => void>();
  private nextId: number;
  private ignored = 0;

  constructor(
    private readonly send: (bytes: Uint8Array) => void,
    options?: { requestTimeoutMs?: number; firstId?: number },
  ) {
    this.requestTimeoutMs = options?.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    // A random start by default: a restored guest may still run execs of the
    // session that saved it, whose late replies must not pass for this session's.
    this.nextId = options?.firstId ?? 1 + Math.floor(Math.random() * 2 ** 40);
  }

  /** Lines that were not replies to a pending request (kernel noise, late replies). */
  get ignoredLines(): number {
    return this.ignored + this.splitter.oversized;
  }

  /** Feed every byte the guest wrote on the agent's serial port. */
  feed(bytes: Uint8Array): void {
    for (const line of this.splitter.push(bytes)) {
      if (!this.handleLine(line)) this.ignored++;
    }
  }

  /** Resolves on the next `ready` line (or immediately if a ping answers). */
  waitReady(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let done = false;
      const finish = (error?: Error) => {
        if (done) return;
        done = true;
        clearTimeout(deadline);
        clearInterval(pinger);
        unsubscribe();
        if (error) reject(error);
        else resolve();
      };
      const unsubscribe = this.onReady(() => finish());
      // An agent that started before we listened (e.g. a restored snapshot) never
      // says `ready` again, so keep asking.
      const ping = () => this.ping(READY_PING_INTERVAL_MS * 4).then(() => finish(), () => {});
      const pinger = setInterval(ping, READY_PING_INTERVAL_MS);
      const deadline = setTimeout(
        () => finish(new Error(`lab-agent did not become ready within ${timeoutMs} ms`)),
        timeoutMs,
      );
      ping();
    });
  }

  onReady(cb: (version: string) => void): () => void {
    this.readyListeners.add(cb);
    return () => this.readyListeners.delete(cb);
  }

  exec(command: string, options: AgentExecOptions = {}): Promise<AgentExecResult> {
    const timeoutMs = options.timeoutMs ?? 0;
    if (!Number.isInteger(timeoutMs) || timeoutMs < 0) {
      return Promise.reject(new Error(`exec: timeoutMs must be a non-negative integer, got ${timeoutMs}`));
    }
    let env: string | undefined;
    try {
      env = encodeEnv(options.env);
    } catch (error) {
      return Promise.reject(error);
    }
    const id = this.nextId++;
    const line = `exec ${id} ${encodeField(command)} ${timeoutMs} ${encodeField(options.cwd)} ${encodeField(env)} ${encodeField(options.stdin)}`;
    return new Promise<AgentExecResult>((resolve, reject) => {
      const entry: PendingExec = {
        kind: 'exec',
        what: `exec ${id}`,
        options,
        stdout: [],
        stderr: [],
        stdoutDecoder: new TextDecoder(),
        stderrDecoder: new TextDecoder(),
        resolve,
        reject,
      };
      if (timeoutMs > 0) {
        const limit = timeoutMs + EXEC_HOST_GRACE_MS;
        entry.timer = setTimeout(() => {
          this.settle(id)?.reject(new Error(`lab-agent exec ${id}: no exit within ${limit} ms`));
          this.kill(id).catch(() => {});
        }, limit);
      }
      if (this.start(id, line, entry)) options.onStart?.(id);
    });
  }

  /** SIGKILLs the process group of a running exec; its promise then resolves with `killed`. */
  async kill(id: number): Promise<void> {
    await this.simple(`kill ${id}`, (req) => `kill ${req} ${id}`);
  }

  /** Writes in 48 KiB chunks (truncate, then append), each acknowledged before the next. */
  async writeFile(path: string, data: Uint8Array | string, mode = 0o644): Promise<void> {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    let offset = 0;
    do {
      const chunk = bytes.subarray(offset, offset + WRITE_CHUNK);
      const flag = offset === 0 ? 'T' : 'A';
      await this.simple(
        `writeFile ${path}`,
        (id) => `write ${id} ${encodeField(path)} ${mode.toString(8)} ${flag} ${encodeField(chunk)}`,
      );
      offset += chunk.length;
    } while (offset < bytes.length);
  }

  readFile(path: string): Promise<Uint8Array> {
    const id = this.nextId++;
    return new Promise<Uint8Array>((resolve, reject) => {
      const entry: PendingRead = {
        kind: 'read',
        what: `readFile ${path}`,
        chunks: [],
        size: 0,
        // Progress-based: a big file over a slow serial line may take a while.
        resetTimer: () => {
          clearTimeout(entry.timer);
          entry.timer = setTimeout(() => this.timeOut(id, this.requestTimeoutMs), this.requestTimeoutMs);
        },
        resolve: (rest) => {
          if (Number(rest) !== entry.size) {
            reject(new Error(`${entry.what}: agent reported ${rest} bytes but sent ${entry.size}`));
            return;
          }
          const out = new Uint8Array(entry.size);
          let o = 0;
          for (const c of entry.chunks) {
            out.set(c, o);
            o += c.length;
          }
          resolve(out);
        },
        reject,
      };
      entry.resetTimer();
      this.start(id, `read ${id} ${encodeField(path)}`, entry);
    });
  }

  /** The guest's uptime in ms; rejects if no answer within timeoutMs. */
  async ping(timeoutMs = this.requestTimeoutMs): Promise<number> {
    return Number(await this.simple('ping', (id) => `ping ${id}`, timeoutMs));
  }

  /**
   * Kills every exec the agent is running and says how many: after resuming a
   * saved state, those belong to the session that saved it (sent before this
   * session's own requests, which the agent handles after it).
   */
  async killAll(): Promise<number> {
    return Number(await this.simple('killAll', (id) => `killall ${id}`));
  }

  async setWinsize(tty: string, rows: number, cols: number): Promise<void> {
    for (const n of [rows, cols]) {
      if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`setWinsize ${tty}: bad size ${rows}x${cols}`);
    }
    await this.simple(`setWinsize ${tty}`, (id) => `winsize ${id} ${encodeField(tty)} ${rows} ${cols}`);
  }

  /** Fail every pending request (e.g. the VM was reset). */
  abortAll(reason: string): void {
    this.splitter.reset();
    this.rejectAll(reason);
  }

  private rejectAll(reason: string): void {
    const entries = [...this.pending.keys()].map((id) => this.settle(id));
    for (const entry of entries) if (entry) entry.reject(new Error(`${entry.what}: ${reason}`));
  }

  /** Sends a request whose reply is one ok/fail line and resolves with the ok's argument. */
  private simple(what: string, line: (id: number) => string, timeoutMs = this.requestTimeoutMs): Promise<string> {
    const id = this.nextId++;
    return new Promise<string>((resolve, reject) => {
      const entry: PendingSimple = { kind: 'simple', what, resolve, reject };
      entry.timer = setTimeout(() => this.timeOut(id, timeoutMs), timeoutMs);
      this.start(id, line(id), entry);
    });
  }

  private start(id: number, line: string, entry: Pending): boolean {
    if (line.length > MAX_REQUEST_LINE) {
      clearTimeout(entry.timer);
      entry.reject(new Error(`${entry.what}: request of ${line.length} bytes exceeds the agent's ${MAX_REQUEST_LINE}-byte line limit`));
      return false;
    }
    this.pending.set(id, entry);
    this.send(new TextEncoder().encode(line + '\n'));
    return true;
  }

  private timeOut(id: number, ms: number): void {
    const entry = this.settle(id);
    if (entry) entry.reject(new Error(`${entry.what}: lab-agent did not answer within ${ms} ms`));
  }

  /** Removes a pending request and stops its timer; the caller resolves or rejects it. */
  private settle(id: number): Pending | undefined {
    const entry = this.pending.get(id);
    if (!entry) return undefined;
    this.pending.delete(id);
    clearTimeout(entry.timer);
    return entry;
  }

  /** Returns false if the line is not a reply we were waiting for. */
  private handleLine(line: string): boolean {
    const f = line.split(' ');
    if (f[0] === 'ready' && f.length === 2) {
      // A fresh agent knows nothing of earlier requests: they will never be answered.
      this.rejectAll('lab-agent restarted before answering');
      for (const cb of [...this.readyListeners]) callSafely(() => cb(f[1]));
      return true;
    }
    if (f.length < 3 || !/^\d+$/.test(f[1])) return false;
    const id = Number(f[1]);
    const entry = this.pending.get(id);
    if (!entry) return false;
    try {
      return this.handleReply(id, entry, f);
    } catch {
      return false; // bad base64: noise that happened to start like a reply
    }
  }

  private handleReply(id: number, entry: Pending, f: string[]): boolean {
    const [verb, , arg] = f;
    if (verb === 'fail' && f.length === 3) {
      const message = new TextDecoder().decode(decodeField(arg));
      this.settle(id);
      entry.reject(new Error(`${entry.what}: ${message}`));
      return true;
    }
    if (entry.kind === 'exec') return this.handleExecReply(id, entry, f);
    if (entry.kind === 'read' && verb === 'data' && f.length === 3) {
      const bytes = decodeField(arg);
      entry.chunks.push(bytes);
      entry.size += bytes.length;
      entry.resetTimer();
      return true;
    }
    if (verb === 'ok' && f.length === 3) {
      this.settle(id);
      entry.resolve(arg);
      return true;
    }
    return false;
  }

  private handleExecReply(id: number, entry: PendingExec, f: string[]): boolean {
    const [verb, , arg] = f;
    if ((verb === 'out' || verb === 'err') && f.length === 3) {
      const bytes = decodeField(arg);
      if (verb === 'out') {
        entry.stdout.push(entry.stdoutDecoder.decode(bytes, { stream: true }));
        callSafely(() => entry.options.onStdout?.(bytes));
      } else {
        entry.stderr.push(entry.stderrDecoder.decode(bytes, { stream: true }));
        callSafely(() => entry.options.onStderr?.(bytes));
      }
      return true;
    }
    if (verb !== 'exit' || f.length !== 5 || !/^\d+$/.test(f[2]) || !/^\d+$/.test(f[3])) return false;
    const flags = new Set(f[4].split(','));
    this.settle(id);
    const truncated = flags.has('truncated');
    entry.stdout.push(entry.stdoutDecoder.decode());
    entry.stderr.push(entry.stderrDecoder.decode());
    if (truncated) entry.stdout.push(TRUNCATION_MARKER);
    entry.resolve({
      exitCode: Number(f[2]),
      stdout: entry.stdout.join(''),
      stderr: entry.stderr.join(''),
      ms: Number(f[3]),
      timedOut: flags.has('timeout'),
      truncated,
      killed: flags.has('killed'),
    });
    return true;
  }
}

/**
 * Runs a caller's callback from inside feed(). A throw must not abort parsing
 * the rest of the chunk (an `exit` line could be lost), so it is rethrown later.
 */
function callSafely(fn: () => void): void {
  try {
    fn();
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}

/** `K=V\0K=V\0…`, or undefined when there is nothing to set. */
function encodeEnv(env: Record<string, string> | undefined): string | undefined {
  if (!env) return undefined;
  let out = '';
  for (const [key, value] of Object.entries(env)) {
    if (!key || key.includes('=') || key.includes('\0') || String(value).includes('\0')) {
      throw new Error(`exec: invalid environment variable ${JSON.stringify(key)}`);
    }
    out += `${key}=${value}\0`;
  }
  return out || undefined;
}
