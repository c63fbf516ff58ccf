// Too few file descriptors to start: one line naming the limit, not an
// internal error. Node's ESM loader reads a module graph with many files
// open at once; under a low RLIMIT_NOFILE an open fails with EMFILE, or the
// resolver, unable to read a package.json, reports a package that is there
// as "Cannot find package" (ERR_MODULE_NOT_FOUND). Without its package.json
// the resolver guesses the package's index.js, which need not exist (a
// package whose "exports" name build/index.js), so the package's own
// directory is what tells a lost read from a missing package.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT_OSERR } from '../core/exit-codes.js';
import { UserError } from '../core/user-error.js';

/**
 * Below this many descriptors uringscope refuses to start, so the failure is
 * always this one line: Node and the modules of a command that does not draw
 * the TUI (`--help`, `workloads`, `report`, `doctor`) start with 68, the
 * margin covers a loader that has a few more reads in flight. The TUI's own
 * modules need about 330; short of that they fail to load, and fdLimitError
 * words it the same.
 */
export const MIN_NOFILE = 80;

/** The soft RLIMIT_NOFILE (/proc/self/limits), read once at start while descriptors are still free. */
export const NOFILE: number | undefined = (() => {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : undefined; // "unlimited" is no limit
  } catch {
    return undefined;
  }
})();

function tooLow(): UserError {
  return new UserError(`RLIMIT_NOFILE ${NOFILE ?? '(unknown)'} is too low: raise it with ulimit -n`, EXIT_OSERR);
}

/** The one-line refusal when the limit is below what any command needs, checked before the commands are loaded. */
export function checkFdLimit(): UserError | undefined {
  return NOFILE !== undefined && NOFILE < MIN_NOFILE ? tooLow() : undefined;
}

/** The one-line refusal when `e` says the process ran out of descriptors; undefined for any other error. */
export function fdLimitError(e: unknown): UserError | undefined {
  const err = e as NodeJS.ErrnoException | undefined;
  if (err?.code === 'EMFILE') return tooLow();
  if (err?.code === 'ERR_MODULE_NOT_FOUND') {
    const missing = /Cannot find (?:package|module) '([^']+)'/.exec(err.message)?.[1];
    if (missing && (existsSync(missing) || packageThere(missing))) return tooLow();
  }
  return undefined;
}

/** Whether `file`, a path into node_modules, lies in an installed package (its directory has a package.json). */
export function packageThere(file: string): boolean {
  const m = /^(.*\/node_modules\/(?:@[^/]+\/)?[^/@][^/]*)(?:\/|$)/.exec(file);
  return m !== null && existsSync(join(m[1], 'package.json'));
}
