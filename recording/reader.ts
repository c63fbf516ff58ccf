// Reads a recording chunk by chunk through a fixed-size window (fs reads of
// WINDOW bytes, grown only for a chunk larger than that, at most
// MAX_CHUNK_PAYLOAD), so memory stays bounded whatever the file's size.
//
// Damage is not an exception: a file cut or corrupted after its header reads
// up to the last complete chunk, and `damage` says where it broke and how
// many bytes were lost. A file that is not a recording at all (empty, wrong
// magic, newer version, no complete header, not a regular file) is refused with a UserError whose
// one-line message names the byte offset. So is a JSON chunk whose CRC holds
// but whose content is not what the writer writes (chunk-check.ts): the
// bytes are as written, so this is not damage to read around but a file no
// reader can trust ("corrupt recording: FILE: end chunk at byte N: ...").
import type { Stats } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { READ_NONBLOCK } from '../core/regular-file.js';
import { EXIT_BAD_RECORDING, EXIT_FAILURE, EXIT_NOINPUT, EXIT_USAGE } from '../core/exit-codes.js';
import { UserError } from '../core/user-error.js';
import { fileKind } from '../core/file-kind.js';
import { chunkProblem } from './chunk-check.js';
import {
  CHUNK_HEADER_SIZE, CHUNK_OVERHEAD, ChunkType, chunkTypeName, crc32, FILE_HEADER_SIZE, FORMAT_VERSION, MAGIC,
  MAX_CHUNK_PAYLOAD, type RecordingHeader,
} from './format.js';

const WINDOW = 4 * 1024 * 1024;

export interface Chunk {
  type: number;
  /** File offset of the chunk's first byte. */
  offset: number;
  /** The payload: a view into the read window, valid until the next chunk is read. */
  payload: Buffer;
}

export interface Damage {
  kind: 'truncated' | 'corrupt';
  /** Byte offset of the first chunk that could not be read. */
  offset: number;
  /** Bytes from there to the end of the file. */
  lostBytes: number;
  message: string;
}

function notRecording(path: string, st: Stats): UserError {
  return new UserError(`${path} is ${fileKind(st)}, not a uringscope recording`, EXIT_BAD_RECORDING);
}

/**
 * A recording is read at offsets (its chunks, then again for the end), so
 * standard input cannot be one. yargs hands "-" over as "", so the command
 * line says which was given.
 */
function refuseStdin(path: string): void {
  if (path !== '' && path !== '-') return;
  const dash = path === '-' || process.argv.includes('-');
  throw new UserError(
    dash
      ? 'reading a recording from standard input ("-") is not supported: give the recording\'s file name'
      : 'the recording\'s file name is empty (""): give the recording\'s file name',
    EXIT_USAGE,
  );
}

export class RecordingReader {
  header!: RecordingHeader;
  /** Set once iteration stopped early. */
  damage?: Damage;
  /** Offset just past the last complete chunk read. */
  goodBytes = 0;
  private win = Buffer.allocUnsafe(WINDOW);
  private winStart = 0;
  private winLen = 0;
  private next = 0;

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    readonly size: number,
  ) {}

  static async open(path: string): Promise<RecordingReader> {
    refuseStdin(path);
    const cannot = (e: unknown) => {
      const err = e as NodeJS.ErrnoException;
      return new UserError(`cannot open ${path}: ${err.code === 'ENOENT' ? 'no such file' : (err.code ?? err.message)}`, err.code === 'ENOENT' ? EXIT_NOINPUT : EXIT_FAILURE);
    };
    // Only a regular file has a size and offsets to read chunks at: /dev/zero
    // or a pipe is not "empty", it is not a recording. Refused before open:
    // open(2) of a FIFO waits for a writer (fifo(7)); O_NONBLOCK and the
    // fstat below cover one swapped in meanwhile.
    let st: Stats;
    try {
      st = await stat(path);
    } catch (e) {
      throw cannot(e);
    }
    if (!st.isFile()) throw notRecording(path, st);
    let fh: FileHandle;
    try {
      fh = await open(path, READ_NONBLOCK);
    } catch (e) {
      throw cannot(e);
    }
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw notRecording(path, st);
      const r = new RecordingReader(path, fh, st.size);
      await r.readHeader();
      return r;
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  private refuse(msg: string): never {
    throw new UserError(`${this.path}: ${msg}`, EXIT_BAD_RECORDING);
  }

  private async readHeader(): Promise<void> {
    if (this.size === 0) this.refuse('empty file (0 bytes), not a uringscope recording');
    const have = await this.ensure(0, FILE_HEADER_SIZE);
    const magicLen = Math.min(have, MAGIC.length);
    if (!this.win.subarray(0, magicLen).equals(MAGIC.subarray(0, magicLen))) {
      this.refuse('not a uringscope recording (no "USREC" magic at byte 0)');
    }
    if (have < FILE_HEADER_SIZE) this.refuse(`truncated at byte ${have}: the file ends inside its 8-byte file header`);
    const version = this.win.readUInt16LE(6);
    if (version > FORMAT_VERSION) {
      this.refuse(`recording format version ${version} (byte 6) is newer than this uringscope reads (version ${FORMAT_VERSION}): upgrade uringscope`);
    }
    if (version < 1) this.refuse(`bad recording format version ${version} at byte 6`);
    this.next = FILE_HEADER_SIZE;
    this.goodBytes = FILE_HEADER_SIZE;
    const first = await this.readChunk();
    if (!first) this.refuse(`no complete header chunk: ${this.damage?.message ?? `the file ends at byte ${this.size}`}`);
    if (first.type !== ChunkType.HEADER) this.refuse(`byte ${first.offset}: the first chunk is ${chunkTypeName(first.type)}, not the header`);
    try {
      this.header = JSON.parse(first.payload.toString('utf8')) as RecordingHeader;
    } catch {
      this.refuse(`byte ${first.offset}: the header chunk is not valid JSON`);
    }
    if (this.header?.format !== 'uringscope-recording') this.refuse(`byte ${first.offset}: the header chunk does not describe a uringscope recording`);
    // The header's own version too: the CRC only says the bytes are as written,
    // not that this reader knows what a newer writer put in them.
    const hv = this.header.formatVersion;
    if (typeof hv === 'number' && Number.isInteger(hv) && hv > FORMAT_VERSION) {
      this.refuse(`byte ${first.offset}: the header says recording format version ${hv}, newer than this uringscope reads (version ${FORMAT_VERSION}): upgrade uringscope`);
    }
    if (!(typeof hv === 'number' && Number.isInteger(hv) && hv >= 1)) this.refuse(`byte ${first.offset}: bad recording format version ${JSON.stringify(hv)} in the header chunk`);
    this.check(first, this.header);
  }

  /** Throws the one-line refusal when `value`, the JSON of chunk `c`, is not what the writer writes. */
  private check(c: Chunk, value: unknown): void {
    const problem = chunkProblem(c.type, value);
    if (problem !== undefined) {
      throw new UserError(`corrupt recording: ${this.path}: ${chunkTypeName(c.type)} chunk at byte ${c.offset}: ${problem}`, EXIT_BAD_RECORDING);
    }
  }

  /**
   * The JSON of an interval or end chunk, checked against its schema
   * (a UserError, exit 65, when it does not fit); undefined when the payload
   * is not JSON at all, which the caller marks as damage (corruptContent).
   */
  json(c: Chunk): unknown {
    let value: unknown;
    try {
      value = JSON.parse(c.payload.toString('utf8'));
    } catch {
      return undefined;
    }
    this.check(c, value);
    return value;
  }

  /** Makes bytes [offset, offset+n) available in the window; returns how many are (fewer at EOF). */
  private async ensure(offset: number, n: number): Promise<number> {
    const winEnd = this.winStart + this.winLen;
    if (offset >= this.winStart && offset + n <= winEnd) return n;
    if (n > this.win.length) this.win = Buffer.allocUnsafe(Math.max(n, this.win.length * 2));
    // Keep what is already in the window from `offset` on, read the rest.
    let kept = 0;
    if (offset >= this.winStart && offset < winEnd) {
      kept = winEnd - offset;
      this.win.copy(this.win, 0, offset - this.winStart, this.winLen);
    }
    this.winStart = offset;
    this.winLen = kept;
    while (this.winLen < n) {
      const { bytesRead } = await this.fh.read(this.win, this.winLen, this.win.length - this.winLen, offset + this.winLen);
      if (bytesRead === 0) break;
      this.winLen += bytesRead;
    }
    return Math.min(n, this.winLen);
  }

  private damaged(kind: Damage['kind'], offset: number, what: string): null {
    this.damage = { kind, offset, lostBytes: this.size - offset, message: `${kind === 'truncated' ? 'truncated' : 'corrupt'} at byte ${offset}: ${what}` };
    return null;
  }

  /** The next complete chunk, or null at the end of the file or at the first damage. */
  async readChunk(): Promise<Chunk | null> {
    if (this.damage) return null;
    const off = this.next;
    if (off >= this.size) return null;
    const hv = await this.ensure(off, CHUNK_HEADER_SIZE);
    if (hv < CHUNK_HEADER_SIZE) return this.damaged('truncated', off, `the file ends ${hv} bytes into a chunk header`);
    const base = off - this.winStart;
    // A file header where a chunk should start: `cat a.usrec b.usrec` (read as a chunk, its magic is "type 1163023189").
    if (this.win.subarray(base, base + MAGIC.length).equals(MAGIC)) {
      return this.damaged('corrupt', off, `a second recording's file header ("USREC") starts here: two recordings concatenated? The first one ends at byte ${off} (\`head -c ${off}\` keeps it)`);
    }
    const type = this.win.readUInt32LE(base);
    const length = this.win.readUInt32LE(base + 4);
    if (length > MAX_CHUNK_PAYLOAD) return this.damaged('corrupt', off, `chunk length ${length} is impossible (at most ${MAX_CHUNK_PAYLOAD})`);
    const total = length + CHUNK_OVERHEAD;
    const got = await this.ensure(off, total);
    if (got < total) {
      return this.damaged('truncated', off, `${/^[aeiou]/.test(chunkTypeName(type)) ? 'an' : 'a'} ${chunkTypeName(type)} chunk of ${total} bytes is cut after ${got}`);
    }
    const b = off - this.winStart;
    const want = this.win.readUInt32LE(b + CHUNK_HEADER_SIZE + length);
    if (crc32(this.win.subarray(b, b + CHUNK_HEADER_SIZE + length)) !== want) {
      return this.damaged('corrupt', off, `CRC mismatch in a ${chunkTypeName(type)} chunk of ${total} bytes`);
    }
    this.next = off + total;
    this.goodBytes = this.next;
    return { type, offset: off, payload: this.win.subarray(b + CHUNK_HEADER_SIZE, b + CHUNK_HEADER_SIZE + length) };
  }

  /** Every chunk after the header, in file order. */
  async *chunks(): AsyncGenerator<Chunk> {
    for (;;) {
      const c = await this.readChunk();
      if (!c) return;
      yield c;
    }
  }

  /** Marks a chunk whose CRC held but whose content is unusable (bad JSON, odd record size). */
  corruptContent(c: Chunk, what: string): void {
    this.damaged('corrupt', c.offset, `${chunkTypeName(c.type)} chunk: ${what}`);
    this.goodBytes = c.offset;
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}
