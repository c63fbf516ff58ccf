// A text sink over a Writable that coalesces small strings into ~1 MiB
// writes and waits for 'drain' when the stream is full, so an export's
// memory stays bounded however large the recording is.
import type { Writable } from 'node:stream';

export class TextSink {
  private parts: string[] = [];
  private pending = 0;
  bytes = 0;

  constructor(
    private readonly out: Writable,
    private readonly flushAt = 1 << 20,
  ) {}

  /** Queues text; call `await sink.maybeFlush()` regularly (per batch). */
  push(s: string): void {
    this.parts.push(s);
    this.pending += s.length;
  }

  async maybeFlush(): Promise<void> {
    if (this.pending >= this.flushAt) await this.flush();
  }

  async flush(): Promise<void> {
    if (!this.parts.length) return;
    const text = this.parts.join('');
    this.parts = [];
    this.pending = 0;
    this.bytes += Buffer.byteLength(text);
    // A stream that failed (ENOSPC, EIO) is destroyed: it takes no more
    // writes and never drains, so waiting for 'drain' would hang.
    if (this.out.destroyed) throw this.out.errored ?? new Error('the output was closed');
    if (!this.out.write(text)) await waitDrain(this.out);
  }
}

function waitDrain(out: Writable): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const settle = (e?: Error | null) => {
      out.off('drain', onDrain);
      out.off('error', onErr);
      out.off('close', onClose);
      if (e) reject(e);
      else resolve();
    };
    const onDrain = () => settle();
    const onErr = (e: Error) => settle(e);
    const onClose = () => settle(out.errored ?? new Error('the output was closed'));
    out.once('drain', onDrain);
    out.once('error', onErr);
    out.once('close', onClose);
  });
}
