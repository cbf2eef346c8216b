// The Docker work a learner does, measured the same way on every emulator: each
// command runs through the guest agent and its wall time is recorded.
import type { AgentExecResult } from '../workers/agent-client.ts';

export type Exec = (command: string, timeoutMs: number) => Promise<AgentExecResult>;

export interface Figure {
  name: string;
  value: number;
  unit: string;
  runs?: number[];
}

const TODO_FILES: Record<string, string> = {
  'requirements.txt': 'flask==2.2.*\n',
  'app.py': [
    'from flask import Flask, jsonify, request',
    'app = Flask(__name__)',
    'todos = []',
    '@app.post("/todos")',
    'def add():',
    '    todos.append(request.get_json()["task"])',
    '    return jsonify(result="added"), 201',
    '@app.get("/todos")',
    'def list_todos():',
    '    return jsonify(todos)',
    'if __name__ == "__main__":',
    '    app.run(host="0.0.0.0", port=8080)',
    '',
  ].join('\n'),
  Dockerfile: [
    'FROM python:3.11-slim',
    'WORKDIR /app',
    'COPY requirements.txt .',
    'RUN pip install --no-cache-dir -r requirements.txt',
    'COPY app.py .',
    'EXPOSE 8080',
    'CMD ["python", "app.py"]',
    '',
  ].join('\n'),
};

export async function timed(exec: Exec, command: string, timeoutMs = 300_000): Promise<number> {
  const result = await exec(command, timeoutMs);
  if (result.exitCode !== 0) throw new Error(`\`${command}\` failed (${result.exitCode}): ${result.stderr.trim().slice(0, 300)}`);
  return result.ms / 1000;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Runs the learner's workload; `prefix` distinguishes emulators (e.g. "qemu_"). */
export async function dockerWorkload(exec: Exec, prefix = '', options: { full: boolean } = { full: true }): Promise<Figure[]> {
  const figures: Figure[] = [];
  const add = (name: string, value: number, runs?: number[]) => figures.push({ name: `${prefix}${name}`, value: round(value), unit: 's', runs: runs?.map(round) });
  add('docker_version_s', await timed(exec, 'docker version >/dev/null'));
  add('docker_ps_s', await timed(exec, 'docker ps >/dev/null'));
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) runs.push(await timed(exec, 'docker run --rm busybox echo hi'));
  add('docker_run_warm_median_s', median(runs.slice(1)), runs);
  if (options.full) {
    add('docker_run_p_first_http_s', await timed(exec,
      'docker rm -f bench-web >/dev/null 2>&1; docker run -d --name bench-web -p 8081:80 nginx >/dev/null && for i in $(seq 120); do curl -sf http://localhost:8081/ >/dev/null && exit 0; sleep 0.5; done; exit 1'));
    await exec('docker rm -f bench-web', 120_000);
  }
  const writes = Object.entries(TODO_FILES).map(([name, text]) => `cat > /root/bench-todo/${name} <<'EOF_BENCH'\n${text}EOF_BENCH`).join('\n');
  await timed(exec, `rm -rf /root/bench-todo && mkdir -p /root/bench-todo\n${writes}`);
  add('todo_build_cold_s', await timed(exec, 'cd /root/bench-todo && docker build -q -t bench-todo . >/dev/null', 900_000));
  add('todo_build_rebuild_s', await timed(exec, 'cd /root/bench-todo && echo "# changed" >> app.py && docker build -q -t bench-todo . >/dev/null', 900_000));
  return figures;
}

export function round(value: number): number {
  return Math.round(value * 100) / 100;
}
