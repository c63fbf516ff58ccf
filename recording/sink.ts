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
    if (!this.out.write(text)) await new Promise<void>((resolve, reject) => {
      const onErr = (e: Error) => reject(e);
      this.out.once('error', onErr);
      this.out.once('drain', () => {
        this.out.off('error', onErr);
        resolve();
      });
    });
  }
}
