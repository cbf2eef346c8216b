// v86 reports serial output one byte per event. Posting or parsing per byte
// would flood comlink and the agent parser, so bytes are collected and handed
// on once per macrotask (after the emulator's current tick returns).

export class ByteBatcher {
  private buf = new Uint8Array(4096);
  private len = 0;
  private scheduled = false;

  constructor(private readonly sink: (chunk: Uint8Array) => void) {}

  push(byte: number): void {
    if (this.len === this.buf.length) {
      const bigger = new Uint8Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.buf[this.len++] = byte;
    if (!this.scheduled) {
      this.scheduled = true;
      setTimeout(() => this.flush(), 0);
    }
  }

  flush(): void {
    this.scheduled = false;
    if (this.len === 0) return;
    const chunk = this.buf.slice(0, this.len);
    this.len = 0;
    this.sink(chunk);
  }
}
