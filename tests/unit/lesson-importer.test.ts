import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { validateLesson } from '../../web/lessons/format';
import { LessonImportError, importFileList, importZip } from '../../web/lessons/importer';

const INDEX = JSON.stringify({ title: 'Imported', details: { steps: [{ title: 'One', text: 'step1/text.md', verify: 'step1/verify.sh' }] } });

function decode(files: Map<string, Uint8Array>): Record<string, string> {
  return Object.fromEntries([...files].map(([k, v]) => [k, new TextDecoder().decode(v)]));
}

describe('importZip', () => {
  it('finds the scenario inside one extra top-level folder, and drops zip junk', () => {
    const zip = zipSync({
      'my-scenario/index.json': strToU8(INDEX),
      'my-scenario/step1/text.md': strToU8('Run `true`{{exec}}'),
      'my-scenario/step1/verify.sh': strToU8('exit 0'),
      'my-scenario/.DS_Store': strToU8('junk'),
      '__MACOSX/my-scenario/._index.json': strToU8('junk'),
    });
    const { files, name } = importZip(zip);
    expect(name).toBe('my-scenario');
    expect(decode(files)).toEqual({ 'index.json': INDEX, 'step1/text.md': 'Run `true`{{exec}}', 'step1/verify.sh': 'exit 0' });
    const result = validateLesson(files, { id: 'imported-my-scenario' });
    expect('lesson' in result && result.lesson.steps[0].verify).toBe('exit 0');
  });

  it('takes a zip with index.json at its top as it is', () => {
    const { files, name } = importZip(zipSync({ 'index.json': strToU8(INDEX), 'step1/text.md': strToU8('x') }));
    expect(name).toBe('');
    expect([...files.keys()].sort()).toEqual(['index.json', 'step1/text.md']);
  });

  it('says so when there is no scenario, or several', () => {
    expect(() => importZip(zipSync({ 'readme.md': strToU8('x') }))).toThrow(LessonImportError);
    expect(() => importZip(zipSync({ 'a/index.json': strToU8('{}'), 'b/index.json': strToU8('{}') }))).toThrow(/several scenarios \(a, b\)/);
    expect(() => importZip(strToU8('not a zip at all'))).toThrow(/Could not read the zip/);
  });
});

describe('importFileList', () => {
  it('uses webkitRelativePath of a picked folder, and accepts a single .zip', async () => {
    const file = (path: string, text: string) => {
      const f = new File([text], path.split('/').pop() ?? path);
      Object.defineProperty(f, 'webkitRelativePath', { value: path });
      return f;
    };
    const { files, name } = await importFileList([file('picked/index.json', INDEX), file('picked/step1/text.md', 'x')]);
    expect(name).toBe('picked');
    expect([...files.keys()].sort()).toEqual(['index.json', 'step1/text.md']);

    const zip = zipSync({ 'wrapped/index.json': strToU8(INDEX) });
    const fromZip = await importFileList([new File([zip], 'wrapped.zip')]);
    expect([...fromZip.files.keys()]).toEqual(['index.json']);
  });
});
