import { get, keys, set, setMany } from 'idb-keyval';
import { describe, expect, it } from 'vitest';
import { gzip, sha256Hex } from '../../workers/bytes';
import { inThreadCodec, type FrameCodec } from '../../workers/frame-codec';
import { FRAME_BYTES, type StateSource } from '../../workers/state-codec';
import { StateStore } from '../../workers/state-store';
import { failingWrites, freshStore } from './helpers/fake-store';

/** A state that looks like v86's: mostly zeros with a recognisable pattern. */
function fakeState(seed: number, size = 256 * 1024): ArrayBuffer {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 997) bytes[i] = (i * seed) & 0xff;
  bytes[0] = seed;
  return bytes.buffer;
}

/** A slot's stored values: its parts (`data-a-0`, …) or, in older saves, its one `data-a`. */
async function slotParts(backing: ReturnType<typeof freshStore>, slot: 'a' | 'b'): Promise<Array<[string, Blob | Uint8Array]>> {
  const meta = await get<{ dataParts?: number }>(`meta-${slot}`, backing);
  const names = meta?.dataParts === undefined ? [`data-${slot}`] : Array.from({ length: meta.dataParts }, (_, i) => `data-${slot}-${i}`);
  return Promise.all(names.map(async (name) => {
    const value = await get<Blob | Uint8Array>(name, backing);
    if (!(value instanceof Blob || value instanceof Uint8Array)) throw new Error(`${name} holds no data`);
    return [name, value] as [string, Blob | Uint8Array];
  }));
}

/** A slot's stored bytes, whatever form they are kept in. */
async function slotBytes(backing: ReturnType<typeof freshStore>, slot: 'a' | 'b'): Promise<Uint8Array> {
  const parts = await Promise.all((await slotParts(backing, slot)).map(async ([, v]) => (v instanceof Blob ? new Uint8Array(await v.arrayBuffer()) : v)));
  return new Uint8Array(Buffer.concat(parts));
}

/** Replaces a slot's stored bytes behind the store's back, part by part as they were kept. */
async function setSlotBytes(backing: ReturnType<typeof freshStore>, slot: 'a' | 'b', bytes: Uint8Array): Promise<void> {
  let offset = 0;
  for (const [name, value] of await slotParts(backing, slot)) {
    const size = value instanceof Blob ? value.size : value.length;
    await set(name, new Blob([bytes.slice(offset, (offset += size))]), backing);
  }
}

/** Typed-array equality without vitest's element-by-element diff, which takes seconds at this size. */
function expectSameBytes(actual: Uint8Array, expected: ArrayBuffer | Uint8Array): void {
  const want = expected instanceof Uint8Array ? expected : new Uint8Array(expected);
  expect(actual.length).toBe(want.length);
  expect(Buffer.compare(actual, want)).toBe(0);
}

async function loadedBytes(store: StateStore, buildId: string): Promise<Uint8Array> {
  const r = await store.load(buildId);
  if (!r.ok) throw new Error(`expected a loadable state, got: ${r.reason}`);
  return new Uint8Array(r.state);
}

describe('StateStore', () => {
  it('alternates slots a/b and loads the latest save', async () => {
    const store = new StateStore({ store: freshStore() });
    const first = await store.save(fakeState(1), 'build-1');
    const second = await store.save(fakeState(2), 'build-1');
    const third = await store.save(fakeState(3), 'build-1');
    expect([first.info?.slot, second.info?.slot, third.info?.slot]).toEqual(['a', 'b', 'a']);
    expect(first.ok && second.ok && third.ok).toBe(true);
    expectSameBytes(await loadedBytes(store, 'build-1'), fakeState(3));
    expect((await store.current())?.slot).toBe('a');
  });

  it('reads and unpacks a save before it knows the build id, and checks the id when it comes', async () => {
    const store = new StateStore({ store: freshStore() });
    await store.save(fakeState(4), 'build-1');
    let reads = 0;
    const read = store['readCurrent'].bind(store);
    store['readCurrent'] = () => { reads++; return read(); };
    let give: (id: string) => void = () => {};
    const loading = store.load(new Promise<string>((resolve) => { give = resolve; }));
    await new Promise((r) => setTimeout(r, 20));
    expect(reads).toBe(1);
    give('build-1');
    const loaded = await loading;
    expect(loaded.ok).toBe(true);
    if (loaded.ok) expectSameBytes(new Uint8Array(loaded.state), fakeState(4));

    const other = await store.load(Promise.resolve('build-2'));
    expect(other.ok).toBe(false);
    if (!other.ok) expect(other.reason).toMatch(/another version of the lab machine \(build-1, this one is build-2\)/);
    await expect(store.load(Promise.reject(new Error('no manifest')))).rejects.toThrow('no manifest');
  });

  it('calls onRead once the state is read whole, before its last frames are packed, and awaits it before the save is made current', async () => {
    const backing = freshStore();
    let packing = 0;
    const codec: FrameCodec = {
      concurrency: 2,
      // Counts frames from the call to the end of their packing: when the last frame
      // is read, the other lanes are still packing theirs.
      compress: async (frame, level) => {
        packing++;
        try {
          await new Promise((resolve) => setTimeout(resolve, 10));
          return await inThreadCodec.compress(frame, level);
        } finally {
          packing--;
        }
      },
      decompress: (frame, size) => inThreadCodec.decompress(frame, size),
    };
    const store = new StateStore({ store: backing, codec });
    const raw = new Uint8Array(fakeState(5, FRAME_BYTES * 4 + 1000));
    const source: StateSource = { byteLength: raw.length, read: (offset, length) => raw.slice(offset, offset + length) };
    const seen: Array<unknown> = [];
    const result = await store.save(source, 'build-1', async () => {
      seen.push(packing);
      await new Promise((resolve) => setTimeout(resolve, 50));
      seen.push(await get('current', backing), await get('meta-a', backing));
    });
    expect(result.ok).toBe(true);
    expect(seen[0]).toBeGreaterThan(0);
    expect(seen.slice(1)).toEqual([undefined, undefined]);
    expect(await get('current', backing)).toBe('a');
    const loaded = await store.load(Promise.resolve('build-1'));
    expect(loaded.ok && Buffer.compare(new Uint8Array(loaded.state), raw)).toBe(0);
  });

  it('stores each frame as soon as it is packed, while later frames still pack', async () => {
    const backing = freshStore();
    // The last frame packs only once the first is in IndexedDB: a save that
    // wrote only after packing would never finish.
    const codec: FrameCodec = {
      compress: async (frame, level) => {
        if (frame.length < FRAME_BYTES) {
          while ((await get('data-a-0', backing)) === undefined) await new Promise((r) => setTimeout(r, 5));
        }
        return inThreadCodec.compress(frame, level);
      },
      decompress: (frame, size) => inThreadCodec.decompress(frame, size),
    };
    const state = fakeState(15, FRAME_BYTES + 4096);
    const saved = await new StateStore({ store: backing, codec }).save(state, 'build-1');
    expect(saved.ok).toBe(true);
    expect(await get('meta-a', backing)).toMatchObject({ dataParts: 2 });
    expect((await keys(backing)).filter((k) => String(k).startsWith('data-')).sort()).toEqual(['data-a-0', 'data-a-1']);
    expectSameBytes(await loadedBytes(new StateStore({ store: backing }), 'build-1'), state);
  });

  it('clears the slot it rewrites: parts of an older layout or of a save that died halfway', async () => {
    const backing = freshStore();
    const store = new StateStore({ store: backing });
    await store.save(fakeState(1), 'build-1');
    await setMany([['data-b', new Uint8Array(8)], ['data-b-7', new Blob([new Uint8Array(8)])], ['data-bb', 'unrelated']], backing);
    expect((await store.save(fakeState(2), 'build-1')).info?.slot).toBe('b');
    expect((await keys(backing)).map(String).sort()).toEqual(['current', 'data-a-0', 'data-b-0', 'data-bb', 'meta-a', 'meta-b']);
    expectSameBytes(await loadedBytes(store, 'build-1'), fakeState(2));
  });

  it('compresses the state and records its size and sha256', async () => {
    const backing = freshStore();
    const store = new StateStore({ store: backing });
    const { info, timings } = await store.save(fakeState(7, 1024 * 1024), 'build-1');
    expect(info?.bytes).toBeGreaterThan(0);
    expect(info?.bytes).toBeLessThan(1024 * 1024 / 10);
    expect(info?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(Number.isNaN(Date.parse(info?.savedAt ?? ''))).toBe(false);
    expect(Object.keys(timings ?? {}).sort()).toEqual(['compress', 'write']);
    // Each stored frame's SHA-256 is recorded, and the state's sha256 is the digest of that list.
    const meta = await get<{ frames: number[]; frameSha256: string[] }>('meta-a', backing);
    const stored = await slotBytes(backing, 'a');
    expect(meta?.frameSha256).toHaveLength(meta!.frames.length);
    let offset = 0;
    for (const [i, size] of meta!.frames.entries()) {
      expect(await sha256Hex(stored.subarray(offset, (offset += size)))).toBe(meta!.frameSha256[i]);
    }
    expect(offset).toBe(stored.length);
    expect(await sha256Hex(new TextEncoder().encode(meta!.frameSha256.join('\n')))).toBe(info?.sha256);
  });

  it('still loads a zstd save checksummed as a whole (before frame checksums)', async () => {
    const backing = freshStore();
    const store = new StateStore({ store: backing });
    const state = new Uint8Array(fakeState(12, FRAME_BYTES + 4096));
    await store.save(state.slice().buffer, 'build-1');
    // An older save kept all its frames under one key.
    const stored = await slotBytes(backing, 'a');
    const { frameSha256: _dropped, dataParts: _parts, ...meta } = (await get<Record<string, unknown>>('meta-a', backing))!;
    await setMany([['meta-a', { ...meta, sha256: await sha256Hex(stored) }], ['data-a', new Blob([stored as Uint8Array<ArrayBuffer>])]], backing);
    expectSameBytes(await loadedBytes(store, 'build-1'), state);
  });

  it('refuses a save whose frame checksums were changed, and does not delete it', async () => {
    const backing = freshStore();
    const store = new StateStore({ store: backing });
    await store.save(fakeState(13, FRAME_BYTES + 4096), 'build-1');
    const meta = (await get<{ frameSha256: string[] }>('meta-a', backing))!;
    for (const [edit, reason] of [
      [{ frameSha256: [...meta.frameSha256].reverse() }, /checksum/],
      [{ frameSha256: meta.frameSha256.slice(1) }, /frame checksums do not match its frames/],
    ] as const) {
      await set('meta-a', { ...meta, ...edit }, backing);
      const r = await store.load('build-1');
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(reason);
      expect((await slotBytes(backing, 'a')).length).toBeGreaterThan(0);
    }
  });

  it('round-trips a state larger than one zstd frame', async () => {
    const store = new StateStore({ store: freshStore() });
    const size = 2 * FRAME_BYTES + 12345;
    const state = new Uint8Array(fakeState(11, size));
    // Some incompressible stretches, as in real guest RAM.
    for (let i = 0; i < 64 * 1024; i++) state[FRAME_BYTES - 100 + i] = (i * 2654435761) >>> 24;
    expect((await store.save(state.buffer, 'build-1')).ok).toBe(true);
    const loaded = await loadedBytes(store, 'build-1');
    expectSameBytes(loaded, state);
  });

  it('still loads a state saved by earlier versions (gzip in a Uint8Array)', async () => {
    const backing = freshStore();
    const raw = new Uint8Array(fakeState(4));
    const gzipped = await gzip(raw);
    const meta = { slot: 'b', guestBuildId: 'build-1', savedAt: '2026-11-01T10:00:00.000Z', bytes: gzipped.length, sha256: await sha256Hex(gzipped) };
    await setMany([['data-b', gzipped], ['meta-b', meta], ['current', 'b']], backing);
    const store = new StateStore({ store: backing });
    expect(await store.current()).toEqual(meta);
    expectSameBytes(await loadedBytes(store, 'build-1'), raw);
    // It can still be exported, and the next save goes to the other slot.
    const imported = await new StateStore({ store: freshStore() }).importFile(await store.exportCurrent(), 'build-1');
    expect(imported.sha256).toBe(meta.sha256);
    expect((await store.save(fakeState(5), 'build-1')).info?.slot).toBe('a');
  });

  it('refuses a state packed in a way it does not know, and does not delete it', async () => {
    const backing = freshStore();
    const store = new StateStore({ store: backing });
    await store.save(fakeState(1), 'build-1');
    const meta = await get<Record<string, unknown>>('meta-a', backing);
    await set('meta-a', { ...meta, encoding: 'brotli' }, backing);
    const r = await store.load('build-1');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toMatch(/packed as "brotli", which this version of the lab cannot read/);
    expect((await slotBytes(backing, 'a')).length).toBeGreaterThan(0);
  });

  it('keeps the last good state when the data write fails', async () => {
    const backing = freshStore();
    let failNow = false;
    const store = new StateStore({
      store: failingWrites(backing, () => failNow, () => new DOMException('The transaction was aborted.', 'AbortError')),
    });
    expect((await store.save(fakeState(1), 'build-1')).ok).toBe(true);
    failNow = true;
    const broken = await store.save(fakeState(2), 'build-1');
    expect(broken.ok).toBe(false);
    expect(broken.error).toMatch(/previous save is kept/);
    failNow = false;
    expectSameBytes(await loadedBytes(store, 'build-1'), fakeState(1));
  });

  it('keeps the last good state when the save dies before the pointer flips', async () => {
    const backing = freshStore();
    const store = new StateStore({ store: backing });
    await store.save(fakeState(1), 'build-1');
    // Second save: clearing slot b (write #1) and its one frame (#2) land, its
    // metadata and the pointer (#3, one transaction) do not.
    const interrupted = new StateStore({
      store: failingWrites(backing, (n) => n === 3, () => new Error('tab closed')),
    });
    expect((await interrupted.save(fakeState(2), 'build-1')).ok).toBe(false);
    expect(await get('data-b-0', backing)).toBeInstanceOf(Blob);
    expect(await get('meta-b', backing)).toBeUndefined();
    expectSameBytes(await loadedBytes(store, 'build-1'), fakeState(1));
    expect(await get('current', backing)).toBe('a');
  });

  it('refuses a state whose checksum does not match, and does not delete it', async () => {
    const backing = freshStore();
    const store = new StateStore({ store: backing });
    await store.save(fakeState(1), 'build-1');
    const corrupted = (await slotBytes(backing, 'a')).slice();
    corrupted[corrupted.length >> 1] ^= 0xff;
    await setSlotBytes(backing, 'a', corrupted);

    const r = await store.load('build-1');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toMatch(/checksum/);
    expect(r.info?.slot).toBe('a');
    expectSameBytes(await slotBytes(backing, 'a'), corrupted);
    expect(await store.current()).not.toBeNull();
  });

  it('refuses a save whose later frame is damaged where the unpacking stops, and does not delete it', async () => {
    const backing = freshStore();
    const store = new StateStore({ store: backing });
    await store.save(fakeState(14, 2 * FRAME_BYTES + 4096), 'build-1');
    const { frames } = (await get<{ frames: number[] }>('meta-a', backing))!;
    const corrupted = (await slotBytes(backing, 'a')).slice();
    corrupted.fill(0, frames[0], frames[0]! + 4); // the second frame's zstd magic: unpacking stops before reading the third
    await setSlotBytes(backing, 'a', corrupted);
    const r = await store.load('build-1');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/checksum/);
    expectSameBytes(await slotBytes(backing, 'a'), corrupted);
  });

  it('refuses a state from another guest build, and does not delete it', async () => {
    const backing = freshStore();
    const store = new StateStore({ store: backing });
    await store.save(fakeState(1), 'build-1');
    const r = await store.load('build-2');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toMatch(/another version of the lab machine \(build-1, this one is build-2\)/);
    expect(r.info?.guestBuildId).toBe('build-1');
    expect((await slotBytes(backing, 'a')).length).toBeGreaterThan(0);
  });

  it('says plainly when nothing was saved yet', async () => {
    const r = await new StateStore({ store: freshStore() }).load('build-1');
    expect(r).toEqual({ ok: false, info: null, reason: 'No saved lab in this browser yet.' });
  });

  it('explains a quota error in MB and keeps the previous state', async () => {
    const backing = freshStore();
    let full = false;
    const store = new StateStore({
      store: failingWrites(backing, () => full, () => new DOMException('Quota exceeded.', 'QuotaExceededError')),
      estimate: async () => ({ quota: 100 * 1024 * 1024, usage: 99 * 1024 * 1024 }),
    });
    await store.save(fakeState(1), 'build-1');
    full = true;
    const r = await store.save(fakeState(2, 4 * 1024 * 1024), 'build-1');
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(
      /^Not enough browser storage: need \d+(\.\d)? MB, 1\.0 MB available \(navigator\.storage\.estimate\)\. Your previous save is kept\.$/,
    );
    full = false;
    expectSameBytes(await loadedBytes(store, 'build-1'), fakeState(1));
  });
});

describe('export and import', () => {
  it('round-trips a state through a DLAB1 file into another browser', async () => {
    const source = new StateStore({ store: freshStore() });
    const saved = await source.save(fakeState(5), 'build-1');
    const file = await source.exportCurrent();
    expect(new TextDecoder().decode(file.subarray(0, 5))).toBe('DLAB1');

    const target = new StateStore({ store: freshStore() });
    const info = await target.importFile(file, 'build-1');
    expect(info.sha256).toBe(saved.info?.sha256);
    expect(info.savedAt).toBe(saved.info?.savedAt);
    expectSameBytes(await loadedBytes(target, 'build-1'), fakeState(5));
  });

  it('refuses to export when nothing is saved', async () => {
    await expect(new StateStore({ store: freshStore() }).exportCurrent()).rejects.toThrow(/No saved lab/);
  });

  async function exported(): Promise<Uint8Array> {
    const store = new StateStore({ store: freshStore() });
    await store.save(fakeState(9), 'build-1');
    return store.exportCurrent();
  }

  function withJson(file: Uint8Array, edit: (meta: Record<string, unknown>) => void): Uint8Array {
    const view = new DataView(file.buffer, file.byteOffset);
    const length = view.getUint32(5);
    const meta = JSON.parse(new TextDecoder().decode(file.subarray(9, 9 + length))) as Record<string, unknown>;
    edit(meta);
    const json = new TextEncoder().encode(JSON.stringify(meta));
    const out = new Uint8Array(9 + json.length + file.length - 9 - length);
    out.set(file.subarray(0, 5));
    new DataView(out.buffer).setUint32(5, json.length);
    out.set(json, 9);
    out.set(file.subarray(9 + length), 9 + json.length);
    return out;
  }

  const cases: Array<[string, (f: Uint8Array) => Uint8Array, RegExp]> = [
    ['an empty file', () => new Uint8Array(0), /not a Docker lab state file/],
    ['another file type', () => new TextEncoder().encode('PK\x03\x04 a zip file'), /not a Docker lab state file/],
    ['a header length past the end', (f) => {
      const g = f.slice();
      new DataView(g.buffer).setUint32(5, 0x7fffffff);
      return g;
    }, /header length is out of range/],
    ['broken JSON', (f) => {
      const g = f.slice();
      g[9] = 0x7b;
      g[10] = 0x7b;
      return g;
    }, /metadata is not valid JSON/],
    ['missing metadata fields', (f) => withJson(f, (m) => delete m.sha256), /lacks guestBuildId, savedAt, bytes or sha256/],
    ['a frame list that does not add up', (f) => withJson(f, (m) => (m.frames = [1, 2])), /frame list does not match its size/],
    ['an unknown packing', (f) => withJson(f, (m) => (m.encoding = 'xz')), /packed as "xz".*newer version/],
    ['a truncated state', (f) => f.subarray(0, f.length - 10), /truncated/],
    ['a flipped state byte', (f) => {
      const g = f.slice();
      g[g.length - 20] ^= 0xff;
      return g;
    }, /checksum does not match/],
  ];

  for (const [name, damage, message] of cases) {
    it(`rejects ${name} with a clear error`, async () => {
      const target = new StateStore({ store: freshStore() });
      await expect(target.importFile(damage(await exported()), 'build-1')).rejects.toThrow(message);
      expect(await target.current()).toBeNull();
    });
  }

  it('rejects a file from another guest build before storing it', async () => {
    const target = new StateStore({ store: freshStore() });
    await expect(target.importFile(await exported(), 'build-2')).rejects.toThrow(
      /saved with another version of the lab machine \(build-1\); this lab runs build-2/,
    );
    expect(await target.current()).toBeNull();
  });
});
