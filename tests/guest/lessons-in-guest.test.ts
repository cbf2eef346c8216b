// Every built-in Docker lesson, run for real in the guest: for each lesson the
// ready snapshot is restored, the lesson's lab.files are written, and each
// step's {{exec}} commands run in order (as the learner's Run buttons would
// type them), followed by the step's verify.sh, which must pass. Each verify.sh
// also runs once before its step's commands and must fail there, so the checks
// can fail. Outputs the lessons quote are asserted where listed below.
//
// Commands that need a terminal (-it), or that are typed inside such an
// interactive session, cannot run through the agent: ADAPT replaces each with
// a non-interactive equivalent (and names the session commands it covers).
// That list, and the readiness waits (a learner waits for a server to start),
// are the only departures from the lesson text.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openReleaseVm, type NodeVm } from '../../image-build/lib/node-vm.ts';
import type { Lesson } from '../../web/lessons/format.ts';
import { LessonShell, describeResult, loadLesson, markdownCommands } from './helpers/lesson-commands.ts';

interface Adapt {
  /** Run this instead (a non-interactive equivalent of an -it command). */
  replace?: string;
  /** Commands typed inside the interactive session that `replace` stands for; they are not run. */
  session?: string[];
  /** Polled before the command until it succeeds (a learner waits for a server to start). */
  waitFor?: string;
  waitMs?: number;
  /** Some commands in the block fail on purpose (e.g. to show a missing file). */
  mayFail?: boolean;
  /** The block's exit status; default 0. */
  exit?: number;
  /** What the lesson says the output shows (stdout and stderr together). */
  expect?: RegExp[];
  /** The same, for stdout alone (curl's progress meter goes to stderr when not on a terminal). */
  stdout?: RegExp[];
  timeoutMs?: number;
}

type LessonPlan = Record<string, Adapt>;

const MINUTE = 60_000;

const PLANS: Record<string, LessonPlan> = {
  'containers-101': {
    "docker --version\ndocker info | head -n 10\ndocker info --format '{{.ServerVersion}}'": {
      stdout: [/^Docker version 26\.1\.5\+dfsg1, build \w+\nClient:\n(.*\n){9}26\.1\.5\+dfsg1\n$/],
      expect: [/buildx: Docker Buildx/, /compose: Docker Compose/],
    },
    'cd /root/containers-101\ndocker build -t todo-api:v0.1 .': {
      expect: [/\[4\/5\] RUN pip install --no-cache-dir -r requirements\.txt/, /Requirement already satisfied: flask==2\.2\.\*/],
      timeoutMs: 5 * MINUTE,
    },
    'curl -X POST -H "Content-Type: application/json" \\\n     -d \'{"task":"learn K8s"}\' http://localhost:8080/todos\ncurl http://localhost:8080/todos': {
      waitFor: 'curl -sf http://localhost:8080/todos',
      stdout: [/^\{"result":"added"\}\n\["learn K8s"\]\n$/],
    },
    "ps -ef | grep -E 'containerd-shim|app.py' | grep -v grep": {
      expect: [/containerd-shim-runc-v2 -namespace moby/, /python app\.py/],
    },
    'docker logs todo': { waitFor: 'docker logs todo 2>&1 | grep -q "Running on http://127.0.0.1:8080"', expect: [/Running on http:\/\/127\.0\.0\.1:8080/] },
    'docker build -t todo-api:v0.2 .': {
      expect: [/#\d+ \[4\/5\] RUN pip install[^\n]*\n#\d+ CACHED/, /#\d+ \[5\/5\] COPY app\.py \.\n#\d+ DONE/],
      timeoutMs: 5 * MINUTE,
    },
    'curl -X POST -H "Content-Type: application/json" \\\n     -d \'{"task":"learn K8s"}\' http://localhost:8080/todos': {
      waitFor: 'curl -sf http://localhost:8080/todos',
      stdout: [/^\{"result":"added","total":1\}\n$/],
    },
    'docker image history todo-api:v0.2': {
      expect: [/COPY app\.py \. # buildkit/, /RUN \/bin\/sh -c pip install --no-cache-dir -r… +0B/, /WORKDIR \/app +0B/],
    },
    "docker tag python:3.11-slim localhost:5000/library/python:3.11-slim\ndocker push localhost:5000/library/python:3.11-slim": {
      expect: [/Layer already exists/],
    },
    'docker push localhost:5000/todo-api:v0.1': {
      expect: [/Mounted from library\/python/, /Pushed/, /^v0\.1: digest: sha256:[0-9a-f]{64} size: \d+$/m],
      timeoutMs: 10 * MINUTE,
    },
    'docker rmi localhost:5000/todo-api:v0.1 todo-api:v0.1': {
      expect: [/^Untagged: localhost:5000\/todo-api:v0\.1$/m, /^Untagged: todo-api:v0\.1$/m, /^Deleted: sha256:/m],
    },
    'docker pull localhost:5000/todo-api:v0.1\ndocker images --digests localhost:5000/todo-api': {
      expect: [/Already exists/, /^Digest: sha256:[0-9a-f]{64}$/m],
    },
    'docker exec -it $(docker ps -q --filter ancestor=todo-api:v0.2) sh': {
      replace: "docker exec $(docker ps -q --filter ancestor=todo-api:v0.2) sh -c 'pwd; ls'",
      session: ['ls', 'exit'],
      expect: [/^\/app\napp\.py\nrequirements\.txt\n$/],
    },
    'docker exec todo touch /tmp/scratch\ndocker diff todo': { expect: [/^C \/tmp\nA \/tmp\/scratch$/m] },
    "docker run --rm busybox sh -c 'mount | head -n 3'\ndocker run --rm --pid=host busybox ps -o pid,ppid,comm | grep -E 'PID|python|containerd-shim'\ndocker run --rm --network=host busybox netstat -tuln": {
      expect: [/^overlay on \/ type overlay \(.*lowerdir=.*upperdir=.*workdir=/m, /^\s*\d+\s+\d+\s+python$/m, /0\.0\.0\.0:8080 .*LISTEN/],
    },
    'docker run --rm --read-only --tmpfs /tmp busybox touch /test || echo "read-only root OK"\ndocker run --rm --cgroupns=private busybox cat /proc/self/cgroup': {
      expect: [/touch: \/test: Read-only file system/],
      stdout: [/^read-only root OK\n0::\/\n$/],
    },
  },
};

/** Per-lesson time limits for one step (emulated CPU: builds take minutes). */
const STEP_TIMEOUT = 15 * MINUTE;

function lessonSuite(id: string, plan: LessonPlan): void {
  describe(id, () => {
    let vm: NodeVm;
    let shell: LessonShell;
    const lesson: Lesson = loadLesson(id);
    const used = new Set<string>();

    beforeAll(async () => {
      vm = await openReleaseVm({ from: 'snapshot' });
      await vm.machine.agent.waitReady(120_000);
      shell = new LessonShell(vm.machine);
      await shell.reset();
    }, 180_000);

    afterAll(async () => {
      await vm?.machine.destroy();
    });

    it('places its lab.files', async () => {
      for (const f of lesson.files) {
        await vm.machine.agent.writeFile(f.path, f.data, f.mode);
        const back = await vm.machine.agent.readFile(f.path);
        expect(Buffer.from(back).equals(Buffer.from(f.data))).toBe(true);
      }
    }, 120_000);

    lesson.steps.forEach((step, index) => {
      it(`step ${index + 1}: ${step.title}`, async () => {
        const verify = step.verify;
        if (verify !== null) {
          const before = await shell.verify(verify, index);
          expect(before.exitCode, `verify.sh passed before the step's commands:\n${describeResult(before)}`).not.toBe(0);
          expect(before.timedOut).toBe(false);
        }
        const commands = markdownCommands(step.text).filter((c) => c.kind === 'exec');
        let skip: string[] = [];
        for (const command of commands) {
          if (skip[0] === command.text) {
            skip = skip.slice(1);
            continue;
          }
          expect(skip, `commands of an interactive session were not found where expected`).toEqual([]);
          const adapt = plan[command.text] ?? {};
          if (plan[command.text]) used.add(command.text);
          const interactive = /(^|\s)-(it|ti)\b|--interactive --tty|--tty --interactive/.test(command.text) || command.interrupt;
          if (interactive && adapt.replace === undefined) throw new Error(`no non-interactive equivalent listed for: ${command.text}`);
          if (adapt.waitFor) {
            const ready = await shell.waitFor(adapt.waitFor, adapt.waitMs ?? 3 * MINUTE);
            expect(ready, `still not ready: ${adapt.waitFor}`).toBe(true);
          }
          const text = adapt.replace ?? command.text;
          const result = await shell.run(text, adapt.timeoutMs ?? 3 * MINUTE);
          const what = `${command.text}${adapt.replace ? `\n(run as: ${adapt.replace})` : ''}\n${describeResult(result)}`;
          expect(result.timedOut, what).toBe(false);
          expect(result.exitCode, what).toBe(adapt.exit ?? 0);
          if (!adapt.mayFail) expect(result.failed, what).toEqual([]);
          for (const re of adapt.expect ?? []) expect(`${result.stdout}${result.stderr}`, what).toMatch(re);
          for (const re of adapt.stdout ?? []) expect(result.stdout, what).toMatch(re);
          skip = adapt.session ?? [];
        }
        expect(skip, `interactive session commands not found after their -it command`).toEqual([]);
        if (verify !== null) {
          const after = await shell.verify(verify, index);
          expect(after.exitCode, `verify.sh failed after the step's commands:\n${describeResult(after)}`).toBe(0);
        }
      }, STEP_TIMEOUT);
    });

    it('lists only commands the lesson has', () => {
      expect(Object.keys(plan).filter((text) => !used.has(text))).toEqual([]);
    });
  });
}

for (const [id, plan] of Object.entries(PLANS)) lessonSuite(id, plan);
