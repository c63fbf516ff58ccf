// Appends chunks to a recording. The JS thread only frames buffers: event
// batches (ArrayBuffers from the tracer's reader thread) are handed to the
// stream as they are, wrapped in a Buffer view without a copy, between an
// 8-byte chunk header and a 4-byte CRC (computed by native zlib). The IO
// itself is done off the JS thread: fs.WriteStream queues the buffers and
// libuv's thread pool writes them, several queued buffers at once with one
// writev(2), so a burst of batches is coalesced into large writes. No JS
// work is done per event on this path.
//
// If the disk cannot keep up and more than `maxQueuedBytes` wait, whole
// batches are dropped and counted (`writerLost`, stored in the file) rather
// than letting memory grow without bound.
import { createWriteStream, fdatasync, type WriteStream } from 'node:fs';
import { UserError } from '../core/user-error.js';
import { EXIT_CANTCREAT, EXIT_IOERR } from '../core/exit-codes.js';
import {
  ChunkType, chunkFrame, EVENT_LAYOUT, fileHeader, jsonChunk, MAX_EVENTS_PER_CHUNK,
  type EndRecord, type IntervalRecord, type RecordingHeader,
} from './format.js';

export interface WriterOptions {
  /** Bytes that may wait for the disk before event batches are dropped. */
  maxQueuedBytes?: number;
  /** fdatasync after each interval chunk (bounds what a power loss costs). Default true. */
  syncIntervals?: boolean;
  /** An fd already opened for the file (recording/output-file.ts decides how); without it `path` is created or truncated. */
  fd?: number;
}

const EVENT_SIZE = EVENT_LAYOUT.size;

export class RecordingWriter {
  bytes = 0;
  chunks = 0;
  eventsWritten = 0;
  writerLost = 0;
  private error?: Error;
  private syncing?: Promise<void>;
  private closed = false;
  private readonly maxQueued: number;

  private constructor(
    readonly path: string,
    private readonly stream: WriteStream,
    private readonly options: WriterOptions,
  ) {
    this.maxQueued = options.maxQueuedBytes ?? 256 * 1024 * 1024;
    stream.on('error', (e) => {
      const first = !this.error;
      this.error ??= e;
      if (first) for (const f of this.onFailed) f(e);
    });
  }

  private readonly onFailed: ((e: Error) => void)[] = [];

  /** Called once when a write fails (ENOSPC, EIO): nothing more can be kept, so the recorded run should stop now, not at its end. */
  onFailure(f: (e: Error) => void): void {
    this.onFailed.push(f);
  }

  /** Writes the file header and the header chunk to `options.fd`, or to `path` created (or truncated) here. */
  static async create(path: string, header: RecordingHeader, options: WriterOptions = {}): Promise<RecordingWriter> {
    const stream = createWriteStream(path, { flags: 'w', fd: options.fd, highWaterMark: 4 * 1024 * 1024 });
    if (options.fd === undefined) {
      await new Promise<void>((resolve, reject) => {
        stream.once('open', () => resolve());
        stream.once('error', (e: NodeJS.ErrnoException) => reject(new UserError(`cannot write the recording ${path}: ${e.code ?? e.message}`, EXIT_CANTCREAT)));
      });
    }
    const w = new RecordingWriter(path, stream, options);
    w.put(fileHeader());
    w.put(jsonChunk(ChunkType.HEADER, header));
    w.chunks++;
    return w;
  }

  private put(b: Uint8Array): void {
    if (this.error || this.closed) return;
    this.bytes += b.byteLength;
    this.stream.write(b);
  }

  /** Bytes handed to the stream and not yet written to the file. */
  get queuedBytes(): number {
    return this.stream.writableLength;
  }

  interval(rec: Omit<IntervalRecord, 'writerLost'>): void {
    this.put(jsonChunk(ChunkType.INTERVAL, { ...rec, writerLost: this.writerLost }));
    this.chunks++;
    if (this.options.syncIntervals !== false) this.sync();
  }

  /** Appends a batch of 80-byte records as drained (split into chunks of at most MAX_EVENTS_PER_CHUNK). */
  events(batch: ArrayBuffer): void {
    const n = Math.floor(batch.byteLength / EVENT_SIZE);
    if (n === 0 || this.error || this.closed) return;
    if (this.stream.writableLength > this.maxQueued) {
      this.writerLost += n;
      return;
    }
    for (let i = 0; i < n; i += MAX_EVENTS_PER_CHUNK) {
      const k = Math.min(MAX_EVENTS_PER_CHUNK, n - i);
      const part = Buffer.from(batch, i * EVENT_SIZE, k * EVENT_SIZE); // a view, not a copy
      const { head, tail } = chunkFrame(ChunkType.EVENTS, [part]);
      this.put(head);
      this.put(part);
      this.put(tail);
      this.chunks++;
      this.eventsWritten += k;
    }
  }

  end(rec: Omit<EndRecord, 'eventsWritten' | 'writerLost'>): void {
    this.put(jsonChunk(ChunkType.END, { ...rec, eventsWritten: this.eventsWritten, writerLost: this.writerLost }));
    this.chunks++;
  }

  private sync(): void {
    const fd = (this.stream as unknown as { fd: number | null }).fd;
    if (this.syncing || typeof fd !== 'number') return;
    this.syncing = new Promise<void>((resolve) => fdatasync(fd, () => resolve())).finally(() => {
      this.syncing = undefined;
    });
  }

  /** Flushes everything and closes the file; a write error becomes one line. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.syncing;
    this.closed = true;
    if (!this.stream.destroyed) await new Promise<void>((resolve) => this.stream.end(() => resolve()));
    if (!this.stream.closed) await new Promise<void>((resolve) => this.stream.once('close', () => resolve()));
    if (this.error) {
      throw new UserError(`writing the recording ${this.path} failed: ${writeFailure(this.error as NodeJS.ErrnoException)}`, EXIT_IOERR);
    }
  }
}

/** Why a write failed, and what the file still holds: the chunks before the failed one are whole and CRC-checked. */
function writeFailure(e: NodeJS.ErrnoException): string {
  const kept = 'the file is readable up to its last whole chunk (uringscope report FILE)';
  switch (e.code) {
    case 'ENOSPC':
      return `no space left on the device (ENOSPC); ${kept}; free space there, write elsewhere, or record without --events`;
    case 'EDQUOT':
      return `disk quota exceeded (EDQUOT); ${kept}`;
    case 'EFBIG':
      return `file too large for this filesystem (EFBIG); ${kept}`;
    default:
      return `${e.code ?? e.message}; ${kept}`;
  }
}
