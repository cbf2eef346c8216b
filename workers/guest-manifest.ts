// What image-build writes next to the guest artifacts and the worker reads
// before it boots anything. Paths are relative to manifest.json's URL.

export interface ArtifactFile {
  path: string;
  size: number;
  sha256: string;
}

export interface DiskImage {
  /** Size of the whole ext4 image in bytes. */
  size: number;
  /** v86 `fixed_chunk_size`: every part holds this many bytes once decompressed. */
  chunkSize: number;
  /**
   * v86 `url` for `use_parts`: v86 fetches `<base>-<start>-<end><ext>`,
   * e.g. `disk/rootfs.img.zst` → `disk/rootfs-0-262144.img.zst`.
   */
  url: string;
  parts: number;
  /** Bytes of all parts as served (compressed), for "make available offline". */
  servedBytes: number;
  /**
   * Parts that hold only zeros (the disk's free space), as [first, end) ranges of
   * part numbers: they are not served, and the lab makes them itself. About two
   * thirds of the parts: every one of them would be a request of its own.
   */
  empty?: Array<[number, number]>;
  sha256: string;
  /**
   * Parts a learner's first commands read after a resume, in the order they read
   * them (the build's disk-usage step): the lab fetches them in the background.
   */
  prefetch?: number[];
}

/** v86 settings that must be identical at snapshot time and at restore time. */
export interface MachineSettings {
  memorySize: number;
  vgaMemorySize: number;
  cmdline: string;
  /** uart0 is the learner's console, uart1 the agent's channel. */
  uart1: true;
  acpi: boolean;
}

export interface CatalogImage {
  /** e.g. "python:3.11-slim" */
  ref: string;
  /** Repo digest the in-VM registry serves, "sha256:…". */
  digest: string;
  /** Uncompressed size in bytes as `docker images` reports. */
  size: number;
}

export interface GuestManifest {
  format: 1;
  /** Hash of every input of the guest build: states from another build id are refused. */
  buildId: string;
  createdAt: string;
  machine: MachineSettings;
  bios: ArtifactFile;
  vgaBios: ArtifactFile;
  kernel: ArtifactFile;
  initrd: ArtifactFile;
  disk: DiskImage;
  /** Ready snapshot (zstd), absent if the build could not make one. */
  snapshot?: ArtifactFile & { rawSize: number };
  images: CatalogImage[];
  versions: Record<string, string>;
}
