import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { link, mkdir, readFile, readdir, stat, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';

/**
 * The lab's layer store: every catalog layer Docker unpacked, kept as a second
 * name for its files (hard links, so no byte is stored twice and `docker rmi`
 * removes a name, not the data) and a record that puts them back together as the
 * layer's exact tar. The guest's registry front (`lab-on-demand --layers`) serves
 * a blob download from the store, so the registry itself keeps only a sparse
 * placeholder of each layer blob's size: its bytes would be a second copy of the
 * catalog in every offline download.
 *
 * The record comes from Docker's tar-split file, which keeps a layer's tar headers
 * and padding verbatim and names the files whose contents go between them. Record
 * format (little-endian): "LABTAR1\n", u64 tar size, then entries: 'S' u32 length
 * and that many bytes to send as they are, or 'F' u64 size u32 n: the contents of
 * the store's file named n (decimal), which must be exactly that size.
 */

export const RECORD_MAGIC = 'LABTAR1\n';

export interface KeptLayers {
  layers: number;
  files: number;
  tarBytes: number;
  placeholders: number;
  placeholderBytes: number;
}

interface TarSplitEntry {
  type: 1 | 2;
  name?: string;
  name_raw?: string;
  size?: number;
  payload?: string | null;
}

/**
 * Keeps every layer of the Docker data folder `dockerDir` (overlay2, stopped) in
 * `storeDir/<diff id hex>/`, checks each rebuilt tar against its diff id, and turns
 * the registry's copies of those layers (under `registryDir`) into placeholders.
 */
export async function keepCatalogLayers(dockerDir: string, registryDir: string, storeDir: string): Promise<KeptLayers> {
  const layerdb = path.join(dockerDir, 'image/overlay2/layerdb/sha256');
  const kept: KeptLayers = { layers: 0, files: 0, tarBytes: 0, placeholders: 0, placeholderBytes: 0 };
  for (const chainId of (await readdir(layerdb)).sort()) {
    const entry = path.join(layerdb, chainId);
    const diffId = (await readFile(path.join(entry, 'diff'), 'utf8')).trim();
    const hex = /^sha256:([0-9a-f]{64})$/.exec(diffId)?.[1];
    if (!hex) throw new Error(`layer ${chainId}: unexpected diff id ${diffId}`);
    const dir = path.join(storeDir, hex);
    if (existsSync(dir)) continue; // the same layer on two different parents
    const cacheId = (await readFile(path.join(entry, 'cache-id'), 'utf8')).trim();
    const files = path.join(dockerDir, 'overlay2', cacheId, 'diff');
    const split = gunzipSync(await readFile(path.join(entry, 'tar-split.json.gz'))).toString('utf8');
    await mkdir(dir, { recursive: true });
    const { record, size, count } = await recordLayer(split, files, dir, `layer ${diffId}`);
    await verifyRecord(dir, record, diffId);
    await writeFile(path.join(dir, 'record'), record);
    kept.layers++;
    kept.files += count;
    kept.tarBytes += size;

    const blob = path.join(registryDir, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
    const blobSize = (await stat(blob).catch(() => null))?.size;
    if (blobSize === undefined) continue;
    if (blobSize !== size) throw new Error(`layer ${diffId}: the registry's blob has ${blobSize} bytes, the rebuilt tar ${size}`);
    // Emptied, then grown back: a file of the blob's size with no blocks, so the
    // registry still reports the blob (a push's existence check, a manifest's
    // validation) while the front serves its bytes.
    await truncate(blob, 0);
    await truncate(blob, size);
    kept.placeholders++;
    kept.placeholderBytes += size;
  }
  return kept;
}

/** Links the layer's files into `dir` as 1, 2, … and returns the record that rebuilds the tar. */
async function recordLayer(split: string, files: string, dir: string, what: string) {
  const parts: Buffer[] = [Buffer.from(RECORD_MAGIC), Buffer.alloc(8)];
  let size = 0;
  let count = 0;
  for (const line of split.split('\n')) {
    if (!line) continue;
    const entry = JSON.parse(line) as TarSplitEntry;
    if (entry.type === 2) {
      const bytes = Buffer.from(entry.payload ?? '', 'base64');
      const head = Buffer.alloc(5);
      head.write('S', 0);
      head.writeUInt32LE(bytes.length, 1);
      parts.push(head, bytes);
      size += bytes.length;
    } else if (entry.type === 1) {
      if (entry.name === undefined) throw new Error(`${what}: a file name that is not UTF-8 (name_raw) is not supported`);
      if (!entry.size) continue;
      count++;
      await link(path.join(files, entry.name), path.join(dir, String(count)));
      const head = Buffer.alloc(13);
      head.write('F', 0);
      head.writeBigUInt64LE(BigInt(entry.size), 1);
      head.writeUInt32LE(count, 9);
      parts.push(head);
      size += entry.size;
    } else {
      throw new Error(`${what}: unknown tar-split entry type ${String((entry as { type: unknown }).type)}`);
    }
  }
  parts[1]!.writeBigUInt64LE(BigInt(size));
  return { record: Buffer.concat(parts), size, count };
}

/** Rebuilds the tar from the record and the linked files, as the guest will, and checks its digest. */
async function verifyRecord(dir: string, record: Buffer, diffId: string) {
  const hash = createHash('sha256');
  let total = 0;
  for (let at = RECORD_MAGIC.length + 8; at < record.length;) {
    const kind = String.fromCharCode(record[at]!);
    if (kind === 'S') {
      const length = record.readUInt32LE(at + 1);
      hash.update(record.subarray(at + 5, at + 5 + length));
      total += length;
      at += 5 + length;
    } else {
      const size = Number(record.readBigUInt64LE(at + 1));
      const contents = await readFile(path.join(dir, String(record.readUInt32LE(at + 9))));
      if (contents.length !== size) throw new Error(`layer ${diffId}: file ${record.readUInt32LE(at + 9)} has ${contents.length} bytes, the tar says ${size}`);
      hash.update(contents);
      total += size;
      at += 13;
    }
  }
  const digest = `sha256:${hash.digest('hex')}`;
  if (digest !== diffId || total !== Number(record.readBigUInt64LE(RECORD_MAGIC.length))) {
    throw new Error(`layer ${diffId}: the tar rebuilt from Docker's files and tar-split record has digest ${digest}`);
  }
}
