// A pipeline of named steps. Each step's output folder is keyed by a hash of its
// inputs (its own source files, settings and the keys of the steps it reads), is
// built in a temporary folder and renamed into place only when complete, so an
// interrupted build never leaves an output that a later run would trust.
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { WriteStream } from 'node:fs';
import { CommandError, openLog } from './lib/exec.ts';
import { hashPath, sha256 } from './lib/hash.ts';
import { CACHE_ROOT, REPO_ROOT } from './lib/paths.ts';

export interface StepContext {
  /** Folder to write this step's output into (renamed into the cache when run() resolves). */
  out: string;
  /** Output folder of a step named in `deps`. */
  input(step: string): string;
  /** The cache key of this step (a hash of everything it depends on). */
  key: string;
  log: WriteStream;
  logFile: string;
  progress(message: string): void;
}

export interface Step {
  name: string;
  description: string;
  deps: string[];
  /** Repo-relative files or folders whose contents the output depends on. */
  sources: string[];
  /** Settings the output depends on (hashed as JSON). */
  settings: unknown;
  run(ctx: StepContext): Promise<void>;
}

export class StepError extends Error {
  constructor(readonly step: string, message: string, readonly detail = '') {
    super(`step "${step}" failed: ${message}`);
  }
}

const KEY_FORMAT = 1;

export class Pipeline {
  private readonly keys = new Map<string, string>();
  private readonly steps = new Map<string, Step>();
  private readonly built = new Map<string, Promise<string>>();

  constructor(steps: Step[]) {
    for (const step of steps) this.steps.set(step.name, step);
  }

  names(): string[] {
    return [...this.steps.keys()];
  }

  async key(name: string): Promise<string> {
    const known = this.keys.get(name);
    if (known) return known;
    const step = this.step(name);
    const parts = [`format ${KEY_FORMAT}`, `step ${name}`, JSON.stringify(step.settings)];
    for (const source of step.sources) parts.push(`${source} ${await hashPath(path.join(REPO_ROOT, source))}`);
    for (const dep of step.deps) parts.push(`dep ${dep} ${await this.key(dep)}`);
    const key = sha256(parts.join('\n')).slice(0, 16);
    this.keys.set(name, key);
    return key;
  }

  outputDir(name: string, key: string): string {
    return path.join(CACHE_ROOT, name, key);
  }

  async isCached(name: string): Promise<boolean> {
    return existsSync(path.join(this.outputDir(name, await this.key(name)), '.complete'));
  }

  /** Builds `name` and, first, whatever it depends on; returns its output folder. */
  build(name: string, options: { force?: string[] } = {}): Promise<string> {
    // Steps share dependencies: each is built (or found cached) once per run.
    let pending = this.built.get(name);
    if (!pending) {
      pending = this.buildOnce(name, options);
      this.built.set(name, pending);
    }
    return pending;
  }

  private async buildOnce(name: string, options: { force?: string[] }): Promise<string> {
    const step = this.step(name);
    const inputs = new Map<string, string>();
    // One at a time: steps are heavy on two cores, and logs stay readable.
    for (const dep of step.deps) inputs.set(dep, await this.build(dep, options));
    const key = await this.key(name);
    const final = this.outputDir(name, key);
    const forced = options.force?.includes(name) ?? false;
    if (!forced && existsSync(path.join(final, '.complete'))) {
      console.log(`✓ ${name.padEnd(10)} cached (${key})`);
      return final;
    }
    const tmp = `${final}.partial-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    const logFile = path.join(CACHE_ROOT, name, `${key}.log`);
    const log = openLog(logFile);
    const started = Date.now();
    let lastProgress = 0;
    console.log(`▶ ${name.padEnd(10)} ${step.description}`);
    const ctx: StepContext = {
      out: tmp,
      key,
      log,
      logFile,
      input: (dep) => {
        const dir = inputs.get(dep);
        if (!dir) throw new Error(`step ${name} reads ${dep} but does not list it in deps`);
        return dir;
      },
      progress: (message) => {
        const now = Date.now();
        // One line every few seconds keeps CI logs readable and still shows life.
        if (now - lastProgress < 3000) return;
        lastProgress = now;
        console.log(`  ${name} ${formatSeconds(now - started)} ${message}`);
      },
    };
    try {
      await step.run(ctx);
      await writeFile(path.join(tmp, '.complete'), JSON.stringify({ key, ms: Date.now() - started }));
      await rm(final, { recursive: true, force: true });
      await rename(tmp, final);
    } catch (err) {
      const detail = err instanceof CommandError ? err.tail : '';
      throw new StepError(name, (err as Error).message, detail);
    } finally {
      log.end();
    }
    console.log(`✓ ${name.padEnd(10)} built in ${formatSeconds(Date.now() - started)} (log: ${path.relative(REPO_ROOT, logFile)})`);
    await this.prune(name, key);
    return final;
  }

  private step(name: string): Step {
    const step = this.steps.get(name);
    if (!step) throw new Error(`unknown step "${name}" (steps: ${this.names().join(', ')})`);
    return step;
  }

  /** Keeps only the newest output of a step: old ones are hundreds of MB. */
  private async prune(name: string, keep: string): Promise<void> {
    const dir = path.join(CACHE_ROOT, name);
    for (const entry of await readdir(dir)) {
      if (entry.startsWith(keep)) continue;
      await rm(path.join(dir, entry), { recursive: true, force: true });
    }
  }
}

export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}
