// `npm test`: typecheck, lint, unit tests and the end-to-end suite, which boots the
// real guest in Debian's Chromium. Ends with one line: "N passed, N failed".
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, checkNode, ensureDebianPackages, ensureGuest, ensureNodeModules, step } from './prerequisites.mjs';

checkNode();
ensureDebianPackages();
ensureNodeModules();
ensureGuest();

const results = path.join(ROOT, 'build', 'test-results');
mkdirSync(results, { recursive: true });
const bin = (name) => path.join(ROOT, 'node_modules/.bin', name);
const totals = { passed: 0, failed: 0, skipped: 0 };
const failures = [];

function stage(name, cmd, args, env = {}) {
  step(name);
  const started = Date.now();
  const result = spawnSync(cmd, args, { stdio: 'inherit', cwd: ROOT, env: { ...process.env, ...env } });
  console.log(`--- ${name}: ${result.status === 0 ? 'ok' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return result.status === 0;
}

function check(name, ok) {
  if (ok) totals.passed++;
  else { totals.failed++; failures.push(name); }
}

function readJson(file) {
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
}

check('typecheck', stage('Typecheck (tsc -b)', bin('tsc'), ['-b']));
check('lint', stage('Lint (eslint)', bin('eslint'), ['.']));

/** Adds a vitest JSON report's counts to the totals; a stage that failed with no failed test counts as one failure. */
function countVitest(name, ok, report) {
  if (report) {
    totals.passed += report.numPassedTests;
    totals.failed += report.numFailedTests;
    totals.skipped += report.numPendingTests + report.numTodoTests;
  }
  if (!ok) failures.push(name);
  if (!ok && (!report || report.numFailedTests === 0)) totals.failed++;
}

const LESSONS_TEST = 'tests/guest/lessons-in-guest.test.ts';
const vitestArgs = (json, ...args) => ['run', ...args, '--reporter=default', '--reporter=json', `--outputFile.json=${json}`];

// The lessons run in a stage of their own (below), after the browser suite:
// they boot two guests at a time, which would compete with these tests' guests for CI's two cores.
const unitJson = path.join(results, 'unit.json');
const unitOk = stage('Unit tests and guest tests (vitest)', bin('vitest'), vitestArgs(unitJson, '--exclude', LESSONS_TEST));
countVitest('unit tests', unitOk, readJson(unitJson));

const e2eJson = path.join(results, 'e2e.json');
const e2eOk = stage('End-to-end tests (Playwright, Chromium, real guest)', bin('playwright'), ['test', '--reporter=list,json'], { PLAYWRIGHT_JSON_OUTPUT_NAME: e2eJson });
const e2e = readJson(e2eJson);
if (e2e) {
  totals.passed += e2e.stats.expected + e2e.stats.flaky;
  totals.failed += e2e.stats.unexpected;
  totals.skipped += e2e.stats.skipped;
}
if (!e2eOk) failures.push('end-to-end tests');
if (!e2eOk && (!e2e || e2e.stats.unexpected === 0)) totals.failed++;

// Every command of all five built-in lessons, run in the real guest with each
// step's check (11 minutes on CI's 2 cores). LESSONS=none leaves it out, LESSONS=id,id runs only those.
if (process.env.LESSONS !== 'none') {
  const lessonsJson = path.join(results, 'lessons.json');
  const lessonsOk = stage('Every lesson in the real guest (vitest)', bin('vitest'), vitestArgs(lessonsJson, LESSONS_TEST));
  countVitest('lessons in the guest', lessonsOk, readJson(lessonsJson));
}

console.log(`\n${failures.length ? `Failed: ${failures.join(', ')}` : 'All stages passed.'}`);
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(failures.length ? 1 : 0);
