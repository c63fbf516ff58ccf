// What uringscope makes under TMPDIR (os.tmpdir(): run directories, the
// compiled-policy cache) goes into directories of its own inside it, and
// TMPDIR itself is never created: it is the user's (a TMPDIR that does not
// exist is a mistake to report, not a directory to make, which
// mkdir({ recursive: true }) would silently do). Every failure is one line
// naming the directory and the errno, and says to set TMPDIR.
import { mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT_CANTCREAT } from '../core/exit-codes.js';
import { UserError } from '../core/user-error.js';

const WHY: Record<string, string> = {
  ENOENT: 'no such directory',
  ENOTDIR: 'not a directory',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left',
  EDQUOT: 'disk quota exceeded',
};

function code(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
}

/** The one line for `what` that cannot be created under the temp directory. */
export function tmpdirError(what: string, e: unknown): UserError {
  const c = code(e);
  const where = process.env.TMPDIR ? `TMPDIR ${tmpdir()}` : `the temp directory ${tmpdir()}`;
  return new UserError(`cannot create ${what} in ${where}: ${c}${WHY[c] ? ` (${WHY[c]})` : ''}; set TMPDIR to a writable directory`, EXIT_CANTCREAT);
}

/** tmpdir(), if it is an existing directory; otherwise the one line saying what `what` cannot be created in. */
export function existingTmpdir(what: string): string {
  const dir = tmpdir();
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (e) {
    throw tmpdirError(what, e);
  }
  if (!isDir) throw tmpdirError(what, Object.assign(new Error('ENOTDIR'), { code: 'ENOTDIR' }));
  return dir;
}

/** TMPDIR/NAME, created if missing (TMPDIR itself never is). */
export function ownTmpSubdir(name: string, what: string): string {
  const dir = join(existingTmpdir(what), name);
  try {
    mkdirSync(dir);
  } catch (e) {
    if (code(e) !== 'EEXIST') throw tmpdirError(what, e);
  }
  return dir;
}
