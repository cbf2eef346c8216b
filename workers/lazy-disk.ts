// The guest's hard disk as v86 sees it (v86 accepts any object with its
// buffer methods: get, set, load, get_state, set_state). Parts of the disk
// image are fetched when the guest first reads them.
//
// Why not v86's own `use_parts` buffer: it keeps every byte it ever read or
// wrote, forever, as one 256-byte Uint8Array per block in a Map. After a
// `docker build` that was well over a gigabyte of small objects in the tab
// (bench: 3 GB). Here, parts read from the server sit in a small LRU cache
// (the guest's own page cache does the real caching), and written bytes live
// in 4 KiB pages; the saved state lists written bytes as contiguous runs
// instead of one entry per 256 bytes.

/** v86 works in 256-byte blocks: every offset, length and state entry is a multiple. */
const BLOCK = 256;
/** Written data is kept per page of 16 blocks (ext4's block size). */
const PAGE = 4096;
const BLOCKS_PER_PAGE = PAGE / BLOCK;
const FULL_PAGE = (1 << BLOCKS_PER_PAGE) - 1;
const RETRY_MS = [500, 1000, 2000, 4000, 8000, 15_000];

interface Page {
  data: Uint8Array;
  /** Bit i set: block i of this page has been written. */
  written: number;
}

export interface LazyDiskOptions {
  /** Bytes of the whole disk. */
  size: number;
  /** Bytes of every part once decompressed; a multiple of 4096. */
  chunkSize: number;
  /** The part's bytes, decompressed, exactly `chunkSize` long (the last may be shorter). */
  loadPart(index: number): Promise<Uint8Array>;
  /** Parts kept in memory after they were read. */
  cacheParts: number;
  /** A part could not be loaded and is being retried; `null` once it came. */
  onTrouble?(message: string | null): void;
}

/** One entry of the saved state: the first 256-byte block and the written bytes from there. */
export type WrittenRun = [block: number, bytes: Uint8Array];

export class LazyDisk {
  readonly byteLength: number;
  /** Set by v86 before load(). */
  onload: ((event: object) => void) | undefined;
  onprogress: ((event: object) => void) | undefined;

  private readonly chunkSize: number;
  private readonly cacheParts: number;
  private readonly loadPartBytes: (index: number) => Promise<Uint8Array>;
  private readonly onTrouble: (message: string | null) => void;
  private readonly cache = new Map<number, Uint8Array>();
  private readonly loading = new Map<number, Promise<Uint8Array>>();
  private readonly pages = new Map<number, Page>();
  private partsFetched = 0;
  /** Answers to reads held back while the machine is paused (see hold). */
  private held: Array<() => void> | null = null;
  /** Reads waiting for parts, and who waits for there to be none (see settled). */
  private waiting = 0;
  private onSettled: Array<() => void> = [];

  constructor(options: LazyDiskOptions) {
    if (options.chunkSize % PAGE !== 0) throw new Error(`disk parts must be a multiple of ${PAGE} bytes, not ${options.chunkSize}`);
    this.byteLength = options.size;
    this.chunkSize = options.chunkSize;
    this.cacheParts = Math.max(1, options.cacheParts);
    this.loadPartBytes = options.loadPart;
    this.onTrouble = options.onTrouble ?? (() => {});
  }

  load(): void {
    this.onload?.(Object.create(null));
  }

  get(offset: number, length: number, done: (bytes: Uint8Array) => void): void {
    const now = this.assemble(offset, length, null);
    if (now) {
      done(now);
      return;
    }
    const needed = this.partsUnder(offset, length);
    this.waiting++;
    void Promise.all(needed.map((i) => this.part(i).then((bytes) => [i, bytes] as const))).then((loaded) => {
      this.answer(() => done(this.assemble(offset, length, new Map(loaded))!));
      if (--this.waiting === 0) for (const resolve of this.onSettled.splice(0)) resolve();
    });
  }

  /** v86 calls this once before a cold boot so that the first sector is in memory. */
  get_and_cache(offset: number, length: number, done: (bytes: Uint8Array) => void): void {
    this.get(offset, length, done);
  }

  /** The bytes if nothing has to be fetched for them, else undefined (v86 asks for the MBR this way). */
  get_from_cache(offset: number, length: number): Uint8Array | undefined {
    return this.assemble(offset, length, null);
  }

  set(offset: number, data: Uint8Array, done: () => void): void {
    this.write(offset, data);
    done();
  }

  /**
   * Resolves once no read is waiting for a part (at once if none is), or after
   * `timeoutMs`. v86 drops a read in flight when it restores a state, so a state
   * saved with one resumes with the guest's disk request unanswered: the kernel
   * gives up on it after 30 s (an I/O error, then a retry). A save lets them finish first.
   */
  settled(timeoutMs: number): Promise<void> {
    if (this.waiting === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.onSettled.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * Holds back answers to reads that were waiting for the server until release():
   * v86 copies an answer into the guest's RAM, which must not change while a
   * save reads it (ram-view-save.ts).
   */
  hold(): void {
    this.held ??= [];
  }

  release(): void {
    const answers = this.held ?? [];
    this.held = null;
    for (const answer of answers) answer();
  }

  get_buffer(done: () => void): void {
    done();
  }

  /** Written bytes as runs of contiguous blocks (v86 stores the typed arrays in its state file). */
  get_state(): [WrittenRun[]] {
    const runs: WrittenRun[] = [];
    let runStart = -1;
    let runBlocks: Uint8Array[] = [];
    const flush = () => {
      if (runBlocks.length === 0) return;
      const bytes = new Uint8Array(runBlocks.length * BLOCK);
      runBlocks.forEach((b, i) => bytes.set(b, i * BLOCK));
      runs.push([runStart, bytes]);
      runBlocks = [];
    };
    for (const index of [...this.pages.keys()].sort((a, b) => a - b)) {
      const page = this.pages.get(index)!;
      for (let b = 0; b < BLOCKS_PER_PAGE; b++) {
        if (!(page.written & (1 << b))) {
          flush();
          continue;
        }
        const block = index * BLOCKS_PER_PAGE + b;
        if (runBlocks.length === 0 || runStart + runBlocks.length !== block) {
          flush();
          runStart = block;
        }
        runBlocks.push(page.data.subarray(b * BLOCK, (b + 1) * BLOCK));
      }
    }
    flush();
    return [runs];
  }

  /** Takes this disk's runs, and v86's own format too (one 256-byte block per entry). */
  set_state(state: [WrittenRun[]]): void {
    this.pages.clear();
    for (const [block, bytes] of state[0]) this.write(block * BLOCK, bytes);
  }

  /** For the benchmark and the status: what this disk holds in memory. */
  stats(): { cachedBytes: number; writtenBytes: number; partsFetched: number } {
    let written = 0;
    for (const page of this.pages.values()) written += popcount(page.written) * BLOCK;
    let cached = 0;
    for (const part of this.cache.values()) cached += part.byteLength;
    return { cachedBytes: cached, writtenBytes: written, partsFetched: this.partsFetched };
  }

  private answer(deliver: () => void): void {
    if (this.held) this.held.push(deliver);
    else deliver();
  }

  private write(offset: number, data: Uint8Array): void {
    if (offset % BLOCK !== 0 || data.length % BLOCK !== 0) throw new Error(`unaligned disk write at ${offset} (${data.length} bytes)`);
    // A page at a time: a restore hands over every written byte, and the guest writes whole pages mostly.
    for (let done = 0; done < data.length; ) {
      const at = offset + done;
      const index = Math.floor(at / PAGE);
      const inPage = at - index * PAGE;
      const bytes = Math.min(PAGE - inPage, data.length - done);
      let page = this.pages.get(index);
      if (!page) {
        page = { data: new Uint8Array(PAGE), written: 0 };
        this.pages.set(index, page);
      }
      page.data.set(data.subarray(done, done + bytes), inPage);
      page.written |= ((1 << (bytes / BLOCK)) - 1) << (inPage / BLOCK);
      done += bytes;
    }
  }

  /** Parts whose bytes a read needs: those under pages not entirely written. */
  private partsUnder(offset: number, length: number): number[] {
    const parts = new Set<number>();
    for (let at = offset - (offset % PAGE); at < offset + length; at += PAGE) {
      if (this.pages.get(at / PAGE)?.written !== FULL_PAGE) parts.add(Math.floor(at / this.chunkSize));
    }
    return [...parts];
  }

  /** The disk's current bytes, or undefined when a part they need is not at hand. */
  private assemble(offset: number, length: number, loaded: Map<number, Uint8Array> | null): Uint8Array | undefined {
    const out = new Uint8Array(length);
    const end = offset + length;
    for (let at = offset; at < end; ) {
      const index = Math.floor(at / PAGE);
      const pageEnd = Math.min(end, (index + 1) * PAGE);
      const page = this.pages.get(index);
      if (page?.written !== FULL_PAGE) {
        const part = Math.floor(at / this.chunkSize);
        const base = loaded?.get(part) ?? this.cached(part);
        if (!base) return undefined;
        const from = at - part * this.chunkSize;
        out.set(base.subarray(from, from + (pageEnd - at)), at - offset);
      }
      if (page) {
        for (let b = (at - index * PAGE) / BLOCK; index * PAGE + b * BLOCK < pageEnd; b++) {
          if (page.written & (1 << b)) out.set(page.data.subarray(b * BLOCK, (b + 1) * BLOCK), index * PAGE + b * BLOCK - offset);
        }
      }
      at = pageEnd;
    }
    return out;
  }

  private cached(index: number): Uint8Array | undefined {
    const bytes = this.cache.get(index);
    if (bytes) {
      // Most recently used last: Map keeps insertion order.
      this.cache.delete(index);
      this.cache.set(index, bytes);
    }
    return bytes;
  }

  private part(index: number): Promise<Uint8Array> {
    const cached = this.cached(index);
    if (cached) return Promise.resolve(cached);
    let pending = this.loading.get(index);
    if (!pending) {
      pending = this.fetchPart(index).finally(() => this.loading.delete(index));
      this.loading.set(index, pending);
    }
    return pending;
  }

  // The guest's I/O waits while a part is missing (a learner offline with a
  // part never cached): retrying keeps the disk consistent, and the lab says why it stalls.
  private async fetchPart(index: number): Promise<Uint8Array> {
    for (let attempt = 0; ; attempt++) {
      try {
        let bytes = await this.loadPartBytes(index);
        if (bytes.length < this.chunkSize) {
          const padded = new Uint8Array(this.chunkSize);
          padded.set(bytes);
          bytes = padded;
        }
        this.partsFetched++;
        if (attempt > 0) this.onTrouble(null);
        this.cache.set(index, bytes);
        while (this.cache.size > this.cacheParts) this.cache.delete(this.cache.keys().next().value!);
        return bytes;
      } catch (err) {
        const wait = RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)];
        this.onTrouble(`Part ${index} of the lab's disk could not be loaded (${err instanceof Error ? err.message : String(err)}); retrying in ${wait / 1000} s.`);
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }
}

function popcount(n: number): number {
  let count = 0;
  for (let v = n; v; v &= v - 1) count++;
  return count;
}
