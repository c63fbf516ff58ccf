// Where `record -o`, `replay -o` and `export -o` write, checked before
// anything is written: an output never destroys an input (same device and
// inode, whatever the path: symlinks and hard links included, even with
// --force), and never replaces an existing file unless --force is given.
//
// Two ways of writing, for two kinds of file:
// - `AtomicOutput` (export): the output is a temp file `.NAME.XXXXXX.tmp` in
//   the target's directory (so the rename stays on one filesystem), renamed
//   into place only once complete and synced. A refused input, a failed write
//   (ENOSPC, EIO) or a signal leaves the target as it was, and the temp file
//   is removed.
// - `RecordingOutput` (record, replay -o): a recording is append-only and
//   must be readable after kill -9 up to its last whole chunk, at the name
//   the user gave: a temp file renamed at the end would leave nothing there.
//   So it takes its name as soon as the run has started (its header is
//   already written), and a run that cannot start (no such pid or command,
//   a policy that does not compile) leaves no recording there, nor a file
//   that blocks the retry: until then it is a temp file `.NAME.XXXXXX.tmp`
//   next to its name, removed if the start fails. A new name is taken with
//   link(2), so a file that appeared since the check is refused, not
//   clobbered; with --force the old file is replaced by a rename, never
//   truncated (other hard links to it keep their content), and stays as it
//   was if the start fails.
//
// Character devices and FIFOs (/dev/null, a pipe) are written straight
// through: nothing is replaced there, so they need no --force.
import { randomBytes } from 'node:crypto';
import {
  closeSync, createWriteStream, fchmodSync, fsync, linkSync, lstatSync, openSync, realpathSync, renameSync, statSync,
  unlinkSync, type Stats, type WriteStream,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { EXIT_CANTCREAT, EXIT_IOERR, EXIT_USAGE } from '../core/exit-codes.js';
import { UserError } from '../core/user-error.js';
import { fileKind } from '../core/file-kind.js';


export interface OutputOptions {
  /** Replace an existing file (never one of the inputs). */
  force: boolean;
  /** Files the command reads: the output may not be any of them. */
  inputs: readonly string[];
}

export interface OutputTarget {
  /** new: nothing there; replace: an existing file, with --force; stream: a character device or FIFO. */
  kind: 'new' | 'replace' | 'stream';
  /** The path as given (for messages). */
  path: string;
  /** Where the file is written: through a symlink, its target (the link stays a link). */
  real: string;
  /** The replaced file's permission bits, kept by its replacement. */
  mode?: number;
}

function statOrUndefined(path: string, follow = true): Stats | undefined {
  try {
    return follow ? statSync(path) : lstatSync(path);
  } catch {
    return undefined;
  }
}

function code(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
}

function refuseExisting(path: string): never {
  throw new UserError(`${path} already exists: --force replaces it`, EXIT_USAGE);
}

/** The refusals, in one line and exit 2; otherwise what is there. Touches nothing. */
export function checkOutput(path: string, o: OutputOptions): OutputTarget {
  const st = statOrUndefined(path);
  if (st) {
    for (const input of o.inputs) {
      const i = statOrUndefined(input);
      if (!i || i.dev !== st.dev || i.ino !== st.ino) continue;
      const which = resolve(input) === resolve(path) ? 'also the input' : `the input ${input} (the same file)`;
      throw new UserError(`${path} is ${which}: an output never replaces its input, not even with --force`, EXIT_USAGE);
    }
    if (st.isCharacterDevice() || st.isFIFO()) return { kind: 'stream', path, real: path };
    if (!st.isFile()) throw new UserError(`${path} is ${fileKind(st)}: -o takes a file to write`, EXIT_USAGE);
  }
  // lstat: a dangling symlink is something there too.
  if (!st && !statOrUndefined(path, false)) return { kind: 'new', path, real: path };
  if (!o.force) refuseExisting(path);
  return { kind: 'replace', path, real: st ? realpathSync(path) : path, mode: st ? st.mode & 0o777 : undefined };
}

function cannotWrite(t: OutputTarget, e: unknown, what: string): UserError {
  // A replacement is created next to the file first: say so, or "/proc/version: ENOENT" makes no sense.
  if (t.kind === 'replace') return new UserError(`cannot replace ${what}${t.path}: no new file can be created in ${dirname(t.real)} (${code(e)})`, EXIT_CANTCREAT);
  return new UserError(`cannot write ${what}${t.path}: ${code(e)}`, EXIT_CANTCREAT);
}

/** An exclusive temp file next to the target: its path and fd. */
function openTemp(t: OutputTarget): { tmp: string; fd: number } {
  for (let attempt = 0; ; attempt++) {
    const tmp = join(dirname(t.real), `.${basename(t.real)}.${randomBytes(3).toString('hex')}.tmp`);
    let fd: number;
    try {
      fd = openSync(tmp, 'wx', 0o666);
    } catch (e) {
      if (code(e) !== 'EEXIST' || attempt >= 8) throw e;
      continue;
    }
    try {
      if (t.mode !== undefined) fchmodSync(fd, t.mode);
    } catch (e) {
      closeSync(fd);
      unlinkSync(tmp);
      throw e;
    }
    return { tmp, fd };
  }
}

/**
 * Gives `tmp` the target's name: a new file is linked in (EEXIST if one
 * appeared since the check), a replaced one renamed over. Throws the fs error.
 */
function moveIntoPlace(t: OutputTarget, tmp: string): void {
  if (t.kind === 'replace') return renameSync(tmp, t.real);
  try {
    linkSync(tmp, t.real);
  } catch (e) {
    if (code(e) === 'EEXIST') throw e;
    renameSync(tmp, t.real); // a filesystem without hard links
    return;
  }
  try {
    unlinkSync(tmp);
  } catch {
    /* the name is what counts */
  }
}

/** A recording to append to, at a temp name until its run has started (see the top of this file). */
export class RecordingOutput {
  private constructor(
    private readonly target: OutputTarget,
    /** The fd to write the recording to. */
    readonly fd: number,
    private tmp?: string,
  ) {
    if (tmp) process.once('exit', this.removeTemp);
  }

  static open(path: string, o: OutputOptions): RecordingOutput {
    const t = checkOutput(path, o);
    try {
      if (t.kind === 'stream') return new RecordingOutput(t, openSync(t.path, 'w'));
      const { tmp, fd } = openTemp(t);
      return new RecordingOutput(t, fd, tmp);
    } catch (e) {
      throw cannotWrite(t, e, 'the recording ');
    }
  }

  // Not on signals: record stops its run on SIGINT/SIGTERM and still ends the
  // file, and a start the signal interrupts ends in discard().
  private readonly removeTemp = (): void => {
    if (!this.tmp) return;
    try {
      unlinkSync(this.tmp);
    } catch {
      /* already gone */
    }
    this.tmp = undefined;
  };

  /** The run has started: the recording takes its name (from now on a kill leaves it readable there). */
  place(): void {
    const tmp = this.tmp;
    if (!tmp) return;
    try {
      moveIntoPlace(this.target, tmp);
    } catch (e) {
      this.discard();
      if (code(e) === 'EEXIST') refuseExisting(this.target.path); // it appeared after the check
      throw cannotWrite(this.target, e, 'the recording ');
    }
    this.tmp = undefined;
    process.off('exit', this.removeTemp);
  }

  /** The run did not start: nothing is left at the name, and a replaced file stays as it was. */
  discard(): void {
    this.removeTemp();
    process.off('exit', this.removeTemp);
  }
}

// Temp files not yet renamed or removed: removed on the way out too (an
// uncaught error exits through process.exit; a signal kills the process).
const pending = new Set<string>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function removePending(): void {
  for (const p of pending) {
    try {
      unlinkSync(p);
    } catch {
      /* already gone */
    }
  }
  pending.clear();
}

function onSignal(sig: NodeJS.Signals): void {
  removePending();
  untrack();
  process.kill(process.pid, sig); // now with the default action
}

function track(tmp: string): void {
  if (pending.size === 0) {
    process.on('exit', removePending);
    for (const s of SIGNALS) process.on(s, onSignal);
  }
  pending.add(tmp);
}

function untrack(tmp?: string): void {
  if (tmp) pending.delete(tmp);
  if (pending.size > 0) return;
  process.off('exit', removePending);
  for (const s of SIGNALS) process.off(s, onSignal);
}

/** An output renamed into place when complete (see the top of this file). */
export class AtomicOutput {
  private error?: unknown;
  private finished = false;

  private constructor(
    private readonly target: OutputTarget,
    /** Where the bytes go: write to it, then commit() or discard(). */
    readonly stream: WriteStream,
    private readonly fd: number,
    private readonly tmp?: string,
  ) {
    stream.on('error', (e) => (this.error ??= e));
  }

  static open(path: string, o: OutputOptions): AtomicOutput {
    const t = checkOutput(path, o);
    let fd: number;
    let tmp: string | undefined;
    try {
      if (t.kind === 'stream') fd = openSync(t.path, 'w');
      else ({ tmp, fd } = openTemp(t));
    } catch (e) {
      throw cannotWrite(t, e, '');
    }
    if (tmp) track(tmp);
    const stream = createWriteStream('', { fd, autoClose: false, highWaterMark: 1 << 20 });
    return new AtomicOutput(t, stream, fd, tmp);
  }

  private writeFailed(e: unknown): UserError {
    const t = this.target;
    const left = t.kind === 'replace' ? `${t.path} is unchanged` : t.kind === 'new' ? 'the partial output was removed' : 'output incomplete';
    return new UserError(`writing ${t.path} failed: ${code(e)}; ${left}`, EXIT_IOERR);
  }

  /** Flushes, syncs and renames into place; on a write error removes the temp file and throws one line. */
  async commit(): Promise<void> {
    if (!this.error) await new Promise<void>((res) => this.stream.end(() => res()));
    if (!this.error && this.tmp) {
      // Synced before the rename: after a crash the name holds the old file or the whole new one.
      await new Promise<void>((res) => fsync(this.fd, (e) => ((this.error ??= e ?? undefined), res())));
    }
    if (this.error) {
      const e = this.error;
      this.discard();
      throw this.writeFailed(e);
    }
    closeSync(this.fd);
    this.finished = true;
    if (!this.tmp) return;
    try {
      this.place(this.tmp);
    } finally {
      try {
        unlinkSync(this.tmp);
      } catch {
        /* renamed */
      }
      untrack(this.tmp);
    }
  }

  /** A new file is linked in (fails if one appeared since the check); a replaced one renamed over. */
  private place(tmp: string): void {
    try {
      moveIntoPlace(this.target, tmp);
    } catch (e) {
      if (code(e) === 'EEXIST') refuseExisting(this.target.path);
      throw this.writeFailed(e);
    }
  }

  /** Drops the output after `e` (see discard); a write error becomes the one line to report instead. */
  abort(e: unknown): unknown {
    const failed = this.error;
    this.discard();
    return failed !== undefined ? this.writeFailed(failed) : e;
  }

  /** Drops the output: the temp file is removed, the target left as it was. */
  discard(): void {
    if (this.finished) return;
    this.finished = true;
    this.stream.destroy();
    try {
      closeSync(this.fd);
    } catch {
      /* closed */
    }
    if (!this.tmp) return;
    try {
      unlinkSync(this.tmp);
    } catch {
      /* already gone */
    }
    untrack(this.tmp);
  }
}
