// Every built-in lesson in lessons/ must validate, and its Markdown must
// render: a broken lesson fails here rather than in front of a learner.
// @vitest-environment jsdom
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateLesson } from '../../web/lessons/format';
import { renderMarkdown } from '../../web/lessons/markdown';

const LESSONS = path.resolve(import.meta.dirname, '../../lessons');

function readTree(dir: string, base = dir, out = new Map<string, Uint8Array>()): Map<string, Uint8Array> {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) readTree(full, base, out);
    else out.set(path.relative(base, full).split(path.sep).join('/'), fs.readFileSync(full));
  }
  return out;
}

const ids = fs
  .readdirSync(LESSONS, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name);

describe('built-in lessons', () => {
  it('include hello-lab', () => {
    expect(ids).toContain('hello-lab');
  });

  it.each(ids)('%s validates and renders', (id) => {
    const result = validateLesson(readTree(path.join(LESSONS, id)), { id });
    if ('errors' in result) throw new Error(result.errors.map((e) => `${e.file}:${e.line ?? ''} ${e.message}`).join('\n'));
    expect(result.warnings).toEqual([]);
    const { lesson } = result;
    for (const page of [lesson.intro, ...lesson.steps, lesson.finish]) {
      if (page) expect(renderMarkdown(page.text).html.length).toBeGreaterThan(0);
    }
  });
});
