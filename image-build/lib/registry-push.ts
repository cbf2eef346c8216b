import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { sha256, sha256File } from './hash.ts';

/**
 * Pushes an image unpacked from `docker save` to a registry with uncompressed layers
 * in an OCI manifest, so each layer's blob digest is its diff id. The guest's
 * registry then needs no copy of the catalog's layers: the lab's layer store
 * (layer-store.ts) rebuilds each blob byte for byte from the files Docker already
 * holds, and the registry keeps only an empty placeholder of the blob's size
 * (`docker push` can only gzip, and any compressed blob would be a second copy in
 * every offline download: 104 MB of zstd -19 for the catalog).
 */

interface SavedManifestEntry {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar';

/** `docker save`'s own manifest.json of a folder it was unpacked into: the one image it holds. */
export async function readSavedImage(dir: string): Promise<SavedManifestEntry> {
  const entries = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as SavedManifestEntry[];
  if (entries.length !== 1) throw new Error(`expected one image in ${dir}/manifest.json, found ${entries.length}`);
  return entries[0]!;
}

/** The manifest a registry serves for the image: config and layers as saved. */
export function ociManifest(config: Descriptor, layers: Descriptor[]): string {
  return JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers });
}

/** `debian:bookworm-slim` → the repository and tag Docker asks a Hub mirror for. */
export function hubPath(ref: string): { repository: string; tag: string } {
  const [name, tag] = ref.split(':');
  if (!name || !tag) throw new Error(`catalog reference without a tag: ${ref}`);
  return { repository: name.includes('/') ? name : `library/${name}`, tag };
}

export class RegistryPusher {
  constructor(private readonly baseUrl: string) {}

  /** Uploads the saved image in `savedDir` once and tags it with every ref; returns the manifest digest. */
  async push(savedDir: string, refs: string[]): Promise<string> {
    const saved = await readSavedImage(savedDir);
    const repositories = [...new Set(refs.map((ref) => hubPath(ref).repository))];
    const config = await this.describe(path.join(savedDir, saved.Config), OCI_CONFIG);
    const layers: Descriptor[] = [];
    for (const layer of saved.Layers) {
      const file = path.join(savedDir, layer);
      const descriptor = await this.describe(file, OCI_LAYER);
      layers.push(descriptor);
      for (const repository of repositories) await this.uploadBlob(repository, file, descriptor.digest);
    }
    for (const repository of repositories) await this.uploadBlob(repository, path.join(savedDir, saved.Config), config.digest);
    const manifest = ociManifest(config, layers);
    for (const ref of refs) {
      const { repository, tag } = hubPath(ref);
      await this.request('PUT', `/v2/${repository}/manifests/${tag}`, manifest, { 'Content-Type': OCI_MANIFEST }, 201);
    }
    return `sha256:${sha256(manifest)}`;
  }

  private async describe(file: string, mediaType: string): Promise<Descriptor> {
    return { mediaType, digest: `sha256:${await sha256File(file)}`, size: (await stat(file)).size };
  }

  private async uploadBlob(repository: string, file: string, digest: string) {
    const exists = await fetch(new URL(`/v2/${repository}/blobs/${digest}`, this.baseUrl), { method: 'HEAD' });
    if (exists.ok) return;
    const started = await this.request('POST', `/v2/${repository}/blobs/uploads/`, undefined, {}, 202);
    const location = new URL(started.headers.get('location') ?? '', this.baseUrl);
    location.searchParams.set('digest', digest);
    await this.request('PUT', location.pathname + location.search, await readFile(file),
      { 'Content-Type': 'application/octet-stream' }, 201);
  }

  private async request(method: string, url: string, body: string | Buffer | undefined, headers: Record<string, string>, expected: number) {
    const response = await fetch(new URL(url, this.baseUrl), { method, body, headers });
    if (response.status !== expected) {
      throw new Error(`registry ${method} ${url}: HTTP ${response.status} ${(await response.text()).slice(0, 300)}`);
    }
    return response;
  }
}
