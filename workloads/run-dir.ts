// A run's scratch directory (uringscope-run-XXXXXX: the plan, the replay
// table, the scratch files) and who owns it. A uringscope killed with
// SIGKILL cannot remove its directory, so each one records its owner (pid +
// the process's start time, which tells a dead pid from a reused one), and
// every run start, like `doctor --fix`, removes those whose owner is gone.
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processExists } from '../tracers/targets.js';
import { refuseControlChars } from './control-chars.js';

export const RUN_DIR_PREFIX = 'uringscope-run-';
const OWNER_FILE = 'owner';
/**
 * A directory without an owner file is either being set up right now (the
 * owner is written just after mkdtemp) or from a uringscope before owners
 * were recorded: only the latter is old, and named by no live process.
 */
const UNOWNED_GRACE_MS = 60_000;

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

function readOwner(dir: string): Owner | undefined {
  try {
    const [pid, startTime] = readFileSync(join(dir, OWNER_FILE), 'utf8').trim().split(/\s+/).map(Number);
    return Number.isInteger(pid) && pid > 0 && Number.isFinite(startTime) ? { pid, startTime } : undefined;
  } catch {
    return undefined;
  }
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
  return flag ?? tmpdir();
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

/** Every process's command line, once per scan (an unowned dir in use is named by its engine's). */
function commandLines(): string[] {
  const out: string[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      out.push(readFileSync(`/proc/${d}/cmdline`, 'utf8'));
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

/** The run directories in `parents` whose owner is gone. */
export function staleRunDirs(parents: string[] = [tmpdir()]): StaleDir[] {
  const stale: StaleDir[] = [];
  let cmdlines: string[] | undefined;
  for (const parent of new Set(parents)) {
    let names: string[];
    try {
      names = readdirSync(parent).filter((n) => n.startsWith(RUN_DIR_PREFIX));
    } catch {
      continue; // a --scratch directory that is not there (yet): nothing to sweep
    }
    for (const name of names) {
      const path = join(parent, name);
      let st;
      try {
        st = lstatSync(path);
      } catch {
        continue;
      }
      if (!st.isDirectory()) continue;
      const owner = readOwner(path);
      if (owner) {
        if (!ownerAlive(owner)) stale.push({ path, reason: `owner pid ${owner.pid} is gone` });
        continue;
      }
      if (Date.now() - st.mtimeMs < UNOWNED_GRACE_MS) continue;
      cmdlines ??= commandLines();
      if (!cmdlines.some((c) => c.includes(path + '/'))) stale.push({ path, reason: 'no owner recorded, no process uses it' });
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
