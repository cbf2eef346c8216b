// Helpers for running a built-in lesson's commands in the real guest, the way
// a learner's Run buttons would: the lesson is read and validated by the
// product's own validator, its Markdown is split into commands with the same
// rules the renderer uses ({{exec}} on a closing fence or after a code span),
// and each command runs as a bash script that remembers the working directory
// between commands, like the learner's terminal does.
//
// The emulator runs on the thread that created it, so to run two guests at
// once on two cores each one lives in a child process (this same file, started
// with --serve-guest) and is driven over IPC.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import MarkdownIt from 'markdown-it';
import type { AgentExecResult } from '../../../workers/agent-client.ts';
import { validateLesson, type Lesson } from '../../../web/lessons/format.ts';
import { liftFenceActions } from '../../../web/lessons/markdown.ts';

export const LESSONS_DIR = path.resolve(import.meta.dirname, '../../../lessons');

function readTree(dir: string, base = dir, out = new Map<string, Uint8Array>()): Map<string, Uint8Array> {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) readTree(full, base, out);
    else out.set(path.relative(base, full).split(path.sep).join('/'), fs.readFileSync(full));
  }
  return out;
}

/** Reads and validates lessons/<id>; throws on errors. */
export function loadLesson(id: string): Lesson {
  const result = validateLesson(readTree(path.join(LESSONS_DIR, id)), { id });
  if ('errors' in result) throw new Error(result.errors.map((e) => `${e.file}:${e.line ?? ''} ${e.message}`).join('\n'));
  return result.lesson;
}

export interface MarkdownCommand {
  text: string;
  kind: 'exec' | 'copy';
  interrupt: boolean;
}

const ACTION = /^\{\{\s*(exec|execute|copy)?((?:\s+[\w-]+)*)\s*\}\}/;
const md = new MarkdownIt({ html: true });

/** The {{exec}} / {{copy}} commands of a page, in document order (as web/lessons/markdown.ts finds them). */
export function markdownCommands(markdown: string): MarkdownCommand[] {
  const out: MarkdownCommand[] = [];
  const add = (text: string, action: RegExpExecArray) => {
    if (!action[1]) return; // {{}}: no button
    out.push({ text, kind: action[1] === 'copy' ? 'copy' : 'exec', interrupt: /\binterrupt\b/.test(action[2]) });
  };
  const walk = (tokens: ReturnType<typeof md.parse>) => {
    for (const token of tokens) {
      if (token.type === 'fence') {
        const at = token.info.indexOf('{{');
        const action = at >= 0 ? ACTION.exec(token.info.slice(at).trim()) : null;
        if (action) add(token.content.replace(/\n$/, ''), action);
      } else if (token.type === 'inline' && token.children) {
        const kids = token.children;
        for (let i = 0; i < kids.length - 1; i++) {
          if (kids[i].type !== 'code_inline') continue;
          // markdown-it splits text at "{" and "}"; join the following text tokens back up.
          let next = '';
          for (let j = i + 1; j < kids.length && kids[j].type === 'text'; j++) next += kids[j].content;
          const action = ACTION.exec(next);
          if (action) add(kids[i].content, action);
        }
      } else if (token.children) walk(token.children);
    }
  };
  walk(md.parse(liftFenceActions(markdown), {}));
  return out;
}

export interface ShellResult extends AgentExecResult {
  /** Commands of the script that failed outside a condition (bash ERR trap), as "command => status". */
  failed: string[];
}

const STATE = '/tmp/lesson-test';
/** Bash's own variables: not carried from one command to the next. */
const SHELL_VARS = [
  'BASH[A-Z0-9_]*', 'EUID', 'UID', 'PPID', 'SHELLOPTS', 'FUNCNAME', 'GROUPS', 'LINENO', 'RANDOM', 'SECONDS', 'SRANDOM',
  'EPOCHREALTIME', 'EPOCHSECONDS', 'PIPESTATUS', 'PWD', 'OLDPWD', 'SHLVL', '_', '__status', 'COLUMNS', 'LINES',
  'HOSTNAME', 'HOSTTYPE', 'MACHTYPE', 'OSTYPE', 'OPTIND', 'OPTERR', 'IFS', 'PS4', 'DIRSTACK', 'COMP_WORDBREAKS', 'HISTCMD',
].join('|');
/** An interactive root login's environment, near enough. */
const ENV = {
  HOME: '/root',
  USER: 'root',
  LOGNAME: 'root',
  SHELL: '/bin/bash',
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
};

/**
 * A stand-in for the learner's terminal: each command runs as a bash script in
 * the directory the previous one left, with failing commands recorded.
 */
export class LessonShell {
  private n = 0;

  constructor(private readonly guest: { agent: GuestAgent }) {}

  async reset(): Promise<void> {
    await this.guest.agent.exec(`rm -rf ${STATE} && mkdir -p ${STATE} && echo /root > ${STATE}/cwd`, { timeoutMs: 30_000 });
  }

  async run(command: string, timeoutMs: number): Promise<ShellResult> {
    const script = [
      // The learner's shell keeps variables, functions and aliases from one command to the next.
      `[ -f ${STATE}/vars ] && . ${STATE}/vars 2>/dev/null`,
      `cd "$(cat ${STATE}/cwd 2>/dev/null || echo /root)" 2>/dev/null || cd /root`,
      'shopt -s expand_aliases',
      `: > ${STATE}/failed`,
      `trap 'echo "$BASH_COMMAND => $?" >> ${STATE}/failed' ERR`,
      command,
      '__status=$?',
      'trap - ERR',
      `pwd > ${STATE}/cwd`,
      `{ declare -p | grep -Ev '^declare -[a-zA-Z]*r' | grep -Ev '^declare -[a-zA-Z-]+ (${SHELL_VARS})(=|$)'; declare -f; alias -p; } > ${STATE}/vars`,
      'exit $__status',
      '',
    ].join('\n');
    const file = `${STATE}/cmd-${++this.n}.sh`;
    await this.guest.agent.writeFile(file, script);
    const result = await this.guest.agent.exec(`bash ${file}`, { timeoutMs, env: ENV, cwd: '/root' });
    const failed = (await this.guest.agent.exec(`cat ${STATE}/failed 2>/dev/null`, { timeoutMs: 30_000 })).stdout;
    return { ...result, failed: failed.split('\n').filter(Boolean) };
  }

  /** Runs a step's verify.sh the way the lesson runner does: bash, its own file, 60 s. */
  verify(script: string, index: number): Promise<AgentExecResult> {
    return this.runScript('verify', script, index, 60_000);
  }

  /** Runs a page's background script the way the lesson runner does when the page opens: bash, its own file, 10 min. */
  background(script: string, index: number): Promise<AgentExecResult> {
    return this.runScript('background', script, index, 600_000);
  }

  private async runScript(kind: string, script: string, index: number, timeoutMs: number): Promise<AgentExecResult> {
    const file = `/tmp/lab-${kind}-${index}.sh`;
    await this.guest.agent.writeFile(file, script, 0o755);
    return this.guest.agent.exec(`bash ${file}`, { timeoutMs });
  }

  /** Polls a shell condition until it succeeds or the time is up; returns whether it succeeded. */
  async waitFor(condition: string, timeoutMs: number): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      const r = await this.guest.agent.exec(condition, { timeoutMs: 30_000, env: ENV, cwd: '/root' });
      if (r.exitCode === 0) return true;
      await new Promise((resolve) => setTimeout(resolve, 3000));
    }
    return false;
  }
}

/** Short text for failure messages. */
export function describeResult(r: ShellResult | AgentExecResult): string {
  const tail = (s: string) => (s.length > 3000 ? `…${s.slice(-3000)}` : s);
  const failed = 'failed' in r && r.failed.length ? `\nfailed commands:\n  ${r.failed.join('\n  ')}` : '';
  return `exit ${r.exitCode}${r.timedOut ? ' (timed out)' : ''} after ${(r.ms / 1000).toFixed(1)} s${failed}\nstdout:\n${tail(r.stdout)}\nstderr:\n${tail(r.stderr)}`;
}

// ---- a guest in a child process ----

/** The part of the agent client the lesson test uses. */
export interface GuestAgent {
  exec(command: string, options?: { timeoutMs?: number; cwd?: string; env?: Record<string, string>; stdin?: string }): Promise<AgentExecResult>;
  writeFile(path: string, data: Uint8Array | string, mode?: number): Promise<void>;
  readFile(path: string): Promise<Uint8Array>;
}

export interface ChildGuest {
  agent: GuestAgent;
  destroy(): Promise<void>;
}

type Request = { id: number; op: 'exec' | 'writeFile' | 'readFile'; args: unknown[] };
type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string } | { ready: true } | { failed: string };

const HERE = fileURLToPath(import.meta.url);
const ROOT = path.resolve(path.dirname(HERE), '../../..');

/** Restores the release's ready snapshot in a child process and waits for its agent. */
export function openGuestInChild(): Promise<ChildGuest> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', HERE, '--serve-guest'], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  let next = 0;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  const failAll = (why: string) => {
    for (const p of pending.values()) p.reject(new Error(why));
    pending.clear();
  };
  const call = (op: Request['op'], ...args: unknown[]) =>
    new Promise<unknown>((resolve, reject) => {
      const id = ++next;
      pending.set(id, { resolve, reject });
      child.send({ id, op, args } satisfies Request);
    });
  const agent: GuestAgent = {
    exec: (command, options) => call('exec', command, options ?? {}) as Promise<AgentExecResult>,
    writeFile: async (file, data, mode) => void (await call('writeFile', file, data, mode)),
    readFile: (file) => call('readFile', file) as Promise<Uint8Array>,
  };
  const destroy = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return new Promise((resolve, reject) => {
    child.on('message', (m: Reply) => {
      if ('ready' in m) resolve({ agent, destroy });
      else if ('failed' in m) reject(new Error(`the guest did not start: ${m.failed}`));
      else {
        const p = pending.get(m.id);
        pending.delete(m.id);
        if (m.ok) p?.resolve(m.value);
        else p?.reject(new Error(m.error));
      }
    });
    child.on('exit', (code, signal) => {
      failAll(`the guest process exited (${signal ?? code})`);
      reject(new Error(`the guest process exited before it was ready (${signal ?? code})`));
    });
  });
}

async function serveGuest(): Promise<void> {
  const { openReleaseVm } = await import('../../../image-build/lib/node-vm.ts');
  const send = (m: Reply) => process.send?.(m);
  let vm: Awaited<ReturnType<typeof openReleaseVm>>;
  try {
    vm = await openReleaseVm({ from: 'snapshot' });
    await vm.machine.agent.waitReady(120_000);
  } catch (err) {
    send({ failed: String(err) });
    process.exit(1);
  }
  const agent = vm.machine.agent;
  const stop = async () => {
    await vm.machine.destroy().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('disconnect', () => void stop());
  process.on('message', (m: Request) => {
    const run = async (): Promise<unknown> => {
      if (m.op === 'exec') return agent.exec(m.args[0] as string, m.args[1] as Parameters<GuestAgent['exec']>[1]);
      if (m.op === 'writeFile') return agent.writeFile(m.args[0] as string, m.args[1] as Uint8Array | string, m.args[2] as number | undefined);
      return agent.readFile(m.args[0] as string);
    };
    run().then(
      (value) => send({ id: m.id, ok: true, value }),
      (err: unknown) => send({ id: m.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
    );
  });
  send({ ready: true });
}

if (process.argv[1] === HERE && process.argv.includes('--serve-guest')) void serveGuest();
