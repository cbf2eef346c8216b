import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConsoleInput } from '../../workers/console-input';

/** A UART the test drains by hand, as the guest kernel would. */
class FakeUart {
  held: number[] = [];
  delivered: number[] = [];
  known = true;
  readonly send = (bytes: Uint8Array) => this.held.push(...bytes);
  readonly backlog = () => (this.known ? this.held.length : undefined);
  guestReads(n = Number.POSITIVE_INFINITY): void {
    this.delivered.push(...this.held.splice(0, n));
  }
}

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: number[]) => new TextDecoder().decode(new Uint8Array(b));

afterEach(() => vi.useRealTimers());

describe('ConsoleInput', () => {
  it('passes keystrokes straight through', () => {
    const uart = new FakeUart();
    const input = new ConsoleInput(uart);
    input.write(bytes('ls\r'));
    expect(text(uart.held)).toBe('ls\r');
    expect(input.pending).toBe(0);
  });

  it('hands a big paste over only as fast as the guest reads it, in order', async () => {
    vi.useFakeTimers();
    const uart = new FakeUart();
    const input = new ConsoleInput(uart, { sliceBytes: 256, maxBacklog: 64, pollMs: 4 });
    const paste = 'x'.repeat(100_000) + 'END';
    input.write(bytes(paste));
    let maxHeld = uart.held.length;
    while (input.pending > 0 || uart.held.length > 0) {
      uart.guestReads(200);
      await vi.advanceTimersByTimeAsync(4);
      maxHeld = Math.max(maxHeld, uart.held.length);
    }
    expect(maxHeld).toBeLessThanOrEqual(256 + 64);
    expect(text(uart.delivered)).toBe(paste);
  });

  it('drops what is still waiting when Ctrl-C comes, and sends the Ctrl-C at once', () => {
    const uart = new FakeUart();
    const input = new ConsoleInput(uart, { sliceBytes: 256, maxBacklog: 64 });
    input.write(bytes('y'.repeat(1_000_000)));
    expect(input.pending).toBeGreaterThan(900_000);
    uart.guestReads();
    input.write(bytes('\x03'));
    expect(input.pending).toBe(0);
    uart.guestReads();
    input.write(bytes('echo ok\r'));
    uart.guestReads();
    const delivered = text(uart.delivered);
    expect(delivered.endsWith('\x03echo ok\r')).toBe(true);
    expect(delivered.length).toBeLessThan(1_000);
  });

  it('keeps what follows a Ctrl-C in the same write', () => {
    const uart = new FakeUart();
    const input = new ConsoleInput(uart, { sliceBytes: 4, maxBacklog: 1 });
    input.write(bytes('long queued text'));
    expect(text(uart.held)).toBe('long');
    uart.guestReads();
    input.write(bytes('ab\x03cd'));
    uart.guestReads();
    expect(text(uart.delivered)).toBe('long\x03cd');
    expect(input.pending).toBe(0);
  });

  it('still bounds the UART queue when the backlog cannot be read', async () => {
    vi.useFakeTimers();
    const uart = new FakeUart();
    uart.known = false;
    const input = new ConsoleInput(uart, { sliceBytes: 100, pollMs: 4 });
    input.write(bytes('z'.repeat(1_000)));
    expect(uart.held.length).toBe(100);
    await vi.advanceTimersByTimeAsync(4);
    expect(uart.held.length).toBe(200);
    await vi.advanceTimersByTimeAsync(40);
    expect(uart.held.length).toBe(1_000);
    input.dispose();
  });
});
