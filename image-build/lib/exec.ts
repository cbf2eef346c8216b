import { spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';

export class CommandError extends Error {
  constructor(message: string, readonly tail: string) {
    super(message);
  }
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Every line of output is appended here, so a failure can be read in full. */
  log?: WriteStream;
  /** Called with each output line, e.g. to turn debootstrap's chatter into progress. */
  onLine?: (line: string) => void;
  input?: string;
  /** Return stdout instead of only logging it. */
  capture?: boolean;
  allowFailure?: boolean;
}

/** Runs a command without a shell; rejects with the last lines of its output on failure. */
export function run(cmd: string, args: string[], options: RunOptions = {}): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const tail: string[] = [];
    let stdout = '';
    let partial = '';
    const onData = (isStdout: boolean) => (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      if (isStdout && options.capture) stdout += text;
      options.log?.write(text);
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        tail.push(line);
        if (tail.length > 30) tail.shift();
        options.onLine?.(line);
      }
    };
    child.stdout?.on('data', onData(true));
    child.stderr?.on('data', onData(false));
    if (options.input !== undefined) child.stdin?.end(options.input);
    child.on('error', (err) => reject(new CommandError(`${cmd}: ${err.message}`, '')));
    child.on('close', (code, signal) => {
      if (partial) tail.push(partial);
      const status = code ?? 128;
      if (status !== 0 && !options.allowFailure) {
        const why = signal ? `killed by ${signal}` : `exit code ${status}`;
        reject(new CommandError(`\`${[cmd, ...args].join(' ')}\` failed (${why})`, tail.join('\n')));
      } else {
        resolve({ code: status, stdout });
      }
    });
  });
}

/** The bytes of the files under `dir`, each hard-linked file counted once (`du -sb`). */
export async function treeBytes(dir: string): Promise<number> {
  return Number((await run('du', ['-sb', dir], { capture: true })).stdout.split('\t')[0]);
}

export function openLog(file: string): WriteStream {
  return createWriteStream(file, { flags: 'a' });
}
