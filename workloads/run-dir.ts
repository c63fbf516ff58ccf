// A run's scratch directory (uringscope-run-XXXXXX: the plan, the replay
// table, the scratch files) and who owns it. A uringscope killed with
// SIGKILL cannot remove its directory, so each one records its owner (pid +
// the process's start time, which tells a dead pid from a reused one), and
// every run start, like `doctor --fix`, removes those whose owner is gone.
import { closeSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRegularFileSync } from '../core/regular-file.js';
import { processExists } from '../tracers/targets.js';
import { refuseControlChars } from './control-chars.js';
import { existingTmpdir } from './temp-dir.js';

export const RUN_DIR_PREFIX = 'uringscope-run-';
const OWNER_FILE = 'owner';
/**
 * The names mkdtemp gives (libuv fills the 6 X's from [A-Za-z0-9]). A
 * directory merely starting with the prefix (uringscope-run-results) is
 * the user's: it is never ours to sweep, whatever its age.
 */
const RUN_DIR_NAME = /^uringscope-run-[A-Za-z0-9]{6}$/;
/** An owner file is one short line; a bigger "owner" is not ours. */
const MAX_OWNER_BYTES = 64;

/** Field 22 of /proc/PID/stat (clock ticks since boot), or undefined if there is no such process. */
export function processStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may hold spaces and parentheses: count from its closing one.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[22 - 3]);
  } catch {
    return undefined;
  }
}

export interface Owner {
  pid: number;
  startTime: number;
}

export function ownerLine(o: Owner): string {
  return `${o.pid} ${o.startTime}\n`;
}

/** The owner a run directory records; undefined if it has none we wrote (missing, not a regular file, not "PID STARTTIME"). */
function readOwner(dir: string): Owner | undefined {
  let text: string;
  try {
    const fd = openRegularFileSync(join(dir, OWNER_FILE), { noFollow: true });
    try {
      const b = Buffer.alloc(MAX_OWNER_BYTES + 1);
      const n = readSync(fd, b, 0, b.length, 0);
      if (n > MAX_OWNER_BYTES) return undefined;
      text = b.subarray(0, n).toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  const m = /^(\d+) (\d+)\n$/.exec(text);
  if (!m) return undefined;
  const pid = Number(m[1]);
  return pid > 0 ? { pid, startTime: Number(m[2]) } : undefined;
}

function ownerAlive(o: Owner): boolean {
  return processExists(o.pid) && processStartTime(o.pid) === o.startTime;
}

/**
 * Where a run's directory goes: --scratch, else TMPDIR (os.tmpdir()). Both
 * reach the engine's plan (scratch files, the replay table) and TMPDIR also
 * holds the compiled-policy cache whose objects the plan names, so TMPDIR
 * is checked even when --scratch is given.
 */
export function scratchParent(flag?: string): string {
  refuseControlChars('--scratch', flag);
  refuseControlChars(`TMPDIR (${tmpdir()})`, tmpdir());
  return flag ?? existingTmpdir('the run directory');
}

/** Makes a run directory in `parent` owned by this process. Throws the fs error. */
export function createRunDir(parent: string): string {
  const dir = mkdtempSync(join(parent, RUN_DIR_PREFIX));
  try {
    writeFileSync(join(dir, OWNER_FILE), ownerLine({ pid: process.pid, startTime: processStartTime(process.pid) ?? 0 }));
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return dir;
}

export interface StaleDir {
  path: string;
  /** Why it is stale, for doctor: "owner pid 123 is gone". */
  reason: string;
}

/**
 * The run directories in `parents` whose owner is gone. Only what
 * createRunDir made counts: a mkdtemp name and an owner file naming a
 * process; a directory without one (being set up this instant, or anyone
 * else's) is never listed.
 */
export function staleRunDirs(parents: string[] = [tmpdir()]): StaleDir[] {
  const stale: StaleDir[] = [];
  for (const parent of new Set(parents)) {
    let names: string[];
    try {
      names = readdirSync(parent).filter((n) => RUN_DIR_NAME.test(n));
    } catch {
      continue; // a --scratch directory that is not there (yet): nothing to sweep
    }
    for (const name of names) {
      const path = join(parent, name);
      try {
        if (!lstatSync(path).isDirectory()) continue;
      } catch {
        continue;
      }
      const owner = readOwner(path);
      if (owner && !ownerAlive(owner)) stale.push({ path, reason: `owner pid ${owner.pid} is gone` });
    }
  }
  return stale;
}

/** Removes the stale run directories in `parents`; returns what it removed. */
export function sweepRunDirs(parents?: string[]): StaleDir[] {
  const removed: StaleDir[] = [];
  for (const s of staleRunDirs(parents)) {
    try {
      rmSync(s.path, { recursive: true, force: true });
      removed.push(s);
    } catch {
      /* not ours to remove after all (permissions): doctor still lists it */
    }
  }
  return removed;
}
