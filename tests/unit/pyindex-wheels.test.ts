// The lab's package index turns Debian's python3 packages into wheels pip accepts:
// correct names and tags, a RECORD that matches the contents, Debian's stripped
// requirements restored, and a PEP 503 index that links each file with its hash.
import { createHash } from 'node:crypto';
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import {
  buildWheel, metadataFromEggInfo, missingRequirements, normalizeName, simpleIndex, withRequirements,
} from '../../image-build/lib/wheel.ts';

const text = (s: string) => new TextEncoder().encode(s);
const meta = (name: string, version: string, extra = '') => `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n${extra}\nThe description.\n`;

describe('wheels from Debian packages', () => {
  it('names a pure package py3-none-any and records every file with its hash', () => {
    const wheel = buildWheel({
      files: new Map([['flask/__init__.py', text('x = 1\n')]]),
      metadata: meta('Flask', '2.2.2', 'Requires-Dist: Werkzeug>=2.2.2\n'),
      entryPoints: '[console_scripts]\nflask = flask.cli:main\n',
    });
    expect(wheel.fileName).toBe('Flask-2.2.2-py3-none-any.whl');
    expect(wheel.requires).toEqual(['Werkzeug>=2.2.2']);
    const zip = unzipSync(wheel.bytes);
    expect(Object.keys(zip).sort()).toEqual([
      'Flask-2.2.2.dist-info/METADATA', 'Flask-2.2.2.dist-info/RECORD', 'Flask-2.2.2.dist-info/WHEEL',
      'Flask-2.2.2.dist-info/entry_points.txt', 'flask/__init__.py',
    ]);
    const record = new TextDecoder().decode(zip['Flask-2.2.2.dist-info/RECORD']);
    const expected = createHash('sha256').update('x = 1\n').digest('base64url');
    expect(record).toContain(`flask/__init__.py,sha256=${expected},6`);
    expect(record).toContain('Flask-2.2.2.dist-info/RECORD,,');
    expect(new TextDecoder().decode(zip['Flask-2.2.2.dist-info/WHEEL'])).toContain('Tag: py3-none-any');
    expect(wheel.sha256).toBe(createHash('sha256').update(wheel.bytes).digest('hex'));
  });

  it('tags a package with compiled modules for CPython 3.11 on i686', () => {
    const wheel = buildWheel({
      files: new Map([['markupsafe/_speedups.cpython-311-i386-linux-gnu.so', new Uint8Array([0x7f, 0x45])]]),
      metadata: meta('MarkupSafe', '2.1.2'),
    });
    expect(wheel.fileName).toBe('MarkupSafe-2.1.2-cp311-cp311-linux_i686.whl');
  });

  it('is byte-identical when built twice from the same files', () => {
    const input = { files: new Map([['a.py', text('a')]]), metadata: meta('a', '1') };
    expect(buildWheel(input).sha256).toBe(buildWheel(input).sha256);
  });

  it('refuses metadata without a name or version', () => {
    expect(() => buildWheel({ files: new Map(), metadata: 'Metadata-Version: 2.1\n' })).toThrow(/Name or Version/);
  });

  it('turns egg-info requires.txt sections into Requires-Dist with extras and markers', () => {
    const converted = metadataFromEggInfo('Metadata-Version: 1.2\nName: requests\nVersion: 2.28.1\n\nbody\n',
      'idna<4\n\n[socks]\nPySocks>=1.5.6\n\n[:python_version < "3.8"]\nimportlib-metadata\n');
    expect(converted).toContain('Metadata-Version: 2.1');
    expect(converted).toContain('Requires-Dist: idna<4\n');
    expect(converted).toContain('Requires-Dist: PySocks>=1.5.6; extra == "socks"');
    expect(converted).toContain('Requires-Dist: importlib-metadata; python_version < "3.8"');
    expect(converted.endsWith('\n\nbody\n')).toBe(true);
  });

  it('restores requirements Debian stripped, without repeating ones already there', () => {
    const m = withRequirements(meta('requests', '2.28.1', 'Requires-Dist: idna<4\nRequires-Dist: chardet; extra == "x"\n'), ['idna', 'urllib3', 'chardet']);
    expect(m.match(/Requires-Dist: idna/g)).toHaveLength(1);
    expect(m).toContain('Requires-Dist: urllib3\n');
    expect(m).toContain('Requires-Dist: chardet\n');
    expect(m.indexOf('Requires-Dist: urllib3')).toBeLessThan(m.indexOf('The description.'));
  });

  it('reports requirements no wheel in the index provides', () => {
    const flask = buildWheel({ files: new Map(), metadata: meta('Flask', '2.2.2', 'Requires-Dist: Werkzeug>=2.2.2\nRequires-Dist: asgiref; extra == "async"\n') });
    expect(missingRequirements([flask])).toEqual(['Flask needs Werkzeug>=2.2.2']);
    const werkzeug = buildWheel({ files: new Map(), metadata: meta('Werkzeug', '2.2.2') });
    expect(missingRequirements([flask, werkzeug])).toEqual([]);
  });
});

describe('PEP 503 simple index', () => {
  it('lists normalised project names and links each wheel with its sha256', () => {
    const wheel = buildWheel({ files: new Map(), metadata: meta('Flask_Thing', '1.0') });
    const files = simpleIndex([wheel]);
    expect(normalizeName('Flask_Thing')).toBe('flask-thing');
    expect(files.get('simple/index.html')).toContain('<a href="flask-thing/">flask-thing</a>');
    expect(files.get('simple/flask-thing/index.html')).toContain(`href="../../packages/Flask_Thing-1.0-py3-none-any.whl#sha256=${wheel.sha256}"`);
  });
});
