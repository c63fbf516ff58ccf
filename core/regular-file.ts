// Opening a file that must be a regular one without ever blocking on
// something else: open(2) of a FIFO with no writer waits for one forever
// (fifo(7)). The path is stat'ed first, so a FIFO is refused before any
// open; O_NONBLOCK makes the open return at once should it have been
// swapped for a FIFO since, and fstat on the open fd is the final word.
// On a regular file O_NONBLOCK changes nothing (open(2)).
import { closeSync, constants, fstatSync, lstatSync, openSync, statSync, type Stats } from 'node:fs';
import { fileKind } from './file-kind.js';

/** The flags to open a file for reading that must be regular: never waits on a FIFO. */
export const READ_NONBLOCK = constants.O_RDONLY | constants.O_NONBLOCK;

/** Thrown for a path that is there but not a regular file; `kind` says what it is ("a FIFO"). */
export class NotRegularFile extends Error {
  readonly kind: string;
  constructor(
    readonly path: string,
    readonly stats: Stats,
  ) {
    const kind = fileKind(stats);
    super(`${path} is ${kind}, not a regular file`);
    this.kind = kind;
  }
}

/** Throws NotRegularFile unless `st` is a regular file. */
export function mustBeRegular(path: string, st: Stats): void {
  if (!st.isFile()) throw new NotRegularFile(path, st);
}

/**
 * An fd for reading `path`, which must be a regular file (NotRegularFile
 * otherwise; fs errors as they come). `noFollow`: a symlink is not followed
 * (it is refused as "a symbolic link").
 */
export function openRegularFileSync(path: string, { noFollow = false } = {}): number {
  mustBeRegular(path, noFollow ? lstatSync(path) : statSync(path));
  const fd = openSync(path, READ_NONBLOCK | (noFollow ? constants.O_NOFOLLOW : 0));
  try {
    mustBeRegular(path, fstatSync(fd));
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  return fd;
}
