// Helpers for running a built-in lesson's commands in the real guest, the way
// a learner's Run buttons would: the lesson is read and validated by the
// product's own validator, its Markdown is split into commands with the same
// rules the renderer uses ({{exec}} on a closing fence or after a code span),
// and each command runs as a bash script that remembers the working directory
// between commands, like the learner's terminal does.
import fs from 'node:fs';
import path from 'node:path';
import MarkdownIt from 'markdown-it';
import type { AgentExecResult } from '../../../workers/agent-client.ts';
import type { Machine } from '../../../workers/machine.ts';
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

  constructor(private readonly machine: Machine) {}

  async reset(): Promise<void> {
    await this.machine.agent.exec(`rm -rf ${STATE} && mkdir -p ${STATE} && echo /root > ${STATE}/cwd`, { timeoutMs: 30_000 });
  }

  async run(command: string, timeoutMs: number): Promise<ShellResult> {
    const script = [
      `cd "$(cat ${STATE}/cwd 2>/dev/null || echo /root)" 2>/dev/null || cd /root`,
      'shopt -s expand_aliases',
      `trap 'echo "$BASH_COMMAND => $?" >> ${STATE}/failed' ERR`,
      ': > ' + `${STATE}/failed`,
      command,
      '__status=$?',
      `trap - ERR; pwd > ${STATE}/cwd`,
      'exit $__status',
      '',
    ].join('\n');
    const file = `${STATE}/cmd-${++this.n}.sh`;
    await this.machine.agent.writeFile(file, script);
    const result = await this.machine.agent.exec(`bash ${file}`, { timeoutMs, env: ENV, cwd: '/root' });
    const failed = (await this.machine.agent.exec(`cat ${STATE}/failed 2>/dev/null`, { timeoutMs: 30_000 })).stdout;
    return { ...result, failed: failed.split('\n').filter(Boolean) };
  }

  /** Runs a step's verify.sh the way the lesson runner does: bash, its own file, 60 s. */
  async verify(script: string, index: number): Promise<AgentExecResult> {
    const file = `/tmp/lab-verify-${index}.sh`;
    await this.machine.agent.writeFile(file, script, 0o755);
    return this.machine.agent.exec(`bash ${file}`, { timeoutMs: 60_000 });
  }

  /** Polls a shell condition until it succeeds or the time is up; returns whether it succeeded. */
  async waitFor(condition: string, timeoutMs: number): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      const r = await this.machine.agent.exec(condition, { timeoutMs: 30_000, env: ENV, cwd: '/root' });
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
