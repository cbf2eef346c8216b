// The disk step's packing of the files the guest only reads (image-build/lib/packed-files.ts),
// with the real mksquashfs on a staged tree shaped like the guest's: the trees leave the
// stage, empty folders stay where the guest binds them back, and a file the layer store
// names a second time is packed once. The guest's side (mount, binds, `docker rmi`) is
// checked in tests/guest/catalog-pull-in-real-guest.test.ts.
import { execFileSync } from 'node:child_process';
import { createWriteStream, linkSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKED, packReadOnlyFiles } from '../../image-build/lib/packed-files.ts';

const root = mkdtempSync(join(tmpdir(), 'packed-files-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function stageTree(stage: string) {
  const layer = join(stage, PACKED.dockerLayers, 'cafe01', 'diff');
  mkdirSync(join(layer, 'bin'), { recursive: true });
  writeFileSync(join(stage, PACKED.dockerLayers, 'cafe01', 'link'), 'SHORT');
  mkdirSync(join(stage, PACKED.dockerLayers, 'l'), { recursive: true });
  // Compressible, and large enough that a second copy would show in the image's size.
  writeFileSync(join(layer, 'bin', 'tool'), Buffer.alloc(4 << 20, 'lab layer '));
  const store = join(stage, PACKED.layerStore, 'abc123');
  mkdirSync(store, { recursive: true });
  linkSync(join(layer, 'bin', 'tool'), join(store, '1'));
  writeFileSync(join(store, 'record'), 'LABTAR1\n');
  mkdirSync(join(stage, PACKED.cliPlugins), { recursive: true });
  writeFileSync(join(stage, PACKED.cliPlugins, 'docker-buildx'), 'plugin');
}

describe('packing the guest\'s read-only files', () => {
  it('moves the layers, the layer store and the CLI plugins into one squashfs image and leaves mount points', async () => {
    const stage = join(root, 'stage');
    stageTree(stage);
    const log = createWriteStream(join(root, 'pack.log'));
    const packed = await packReadOnlyFiles(stage, join(root, 'work'), log);
    log.end();

    expect(packed.layers).toBe(1);
    expect(readdirSync(join(stage, PACKED.dockerLayers, 'cafe01', 'diff'))).toEqual([]);
    expect(readdirSync(join(stage, PACKED.dockerLayers, 'cafe01')).sort()).toEqual(['diff', 'link']);
    expect(readdirSync(join(stage, PACKED.cliPlugins))).toEqual([]);
    expect(statSync(join(stage, PACKED.layerStore), { throwIfNoEntry: false })).toBeUndefined();
    expect(statSync(join(stage, PACKED.mountPoint)).isDirectory()).toBe(true);

    const image = join(stage, PACKED.image);
    expect(packed.packedBytes).toBe(statSync(image).size);
    const listing = execFileSync('unsquashfs', ['-l', image], { encoding: 'utf8' });
    for (const entry of ['diff/cafe01/bin/tool', 'layers/abc123/1', 'layers/abc123/record', 'cli-plugins/docker-buildx']) {
      expect(listing).toContain(`squashfs-root/${entry}\n`);
    }
    // Both names of the 4 MiB file are one inode in the image.
    const unpacked = join(root, 'unpacked');
    execFileSync('unsquashfs', ['-q', '-d', unpacked, image]);
    const tool = statSync(join(unpacked, 'diff/cafe01/bin/tool'));
    expect(statSync(join(unpacked, 'layers/abc123/1')).ino).toBe(tool.ino);
    expect(tool.size).toBe(4 << 20);
  });
});
