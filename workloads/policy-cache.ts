// The compiled-policy cache (TMPDIR/uringscope-policies/KEY/, see policy.ts)
// gets one entry per policy source and per change of the runtime: over
// months of edits it would only grow. It is kept to the newest entries
// (used ones are touched), and builds a killed uringscope left halfway
// (KEY.PID.tmp) are removed once their pid is gone.
import { readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processExists } from '../tracers/targets.js';

export const CACHE_MAX_ENTRIES = 64;
export const CACHE_MAX_BYTES = 256 << 20;

/** The cache's directory in TMPDIR (created by buildPolicy through temp-dir.ts, never with TMPDIR itself). */
export const POLICY_CACHE_DIR = 'uringscope-policies';

export function policyCacheRoot(): string {
  return join(tmpdir(), POLICY_CACHE_DIR);
}

/** Marks an entry as just used, so the bound evicts others first. */
export function touchEntry(dir: string): void {
  const now = new Date();
  try {
    utimesSync(dir, now, now);
  } catch {
    /* evicted meanwhile: it is rebuilt next time */
  }
}

function treeBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n += e.isDirectory() ? treeBytes(p) : statSync(p).size;
  }
  return n;
}

interface Entry {
  path: string;
  mtimeMs: number;
  bytes: number;
}

/**
 * Evicts the oldest entries beyond `maxEntries` or `maxBytes` in total, never
 * `keep` (the one about to be used). Returns the paths it removed.
 */
export function boundPolicyCache(
  root = policyCacheRoot(),
  keep?: string,
  maxEntries = CACHE_MAX_ENTRIES,
  maxBytes = CACHE_MAX_BYTES,
): string[] {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return [];
  }
  const removed: string[] = [];
  const entries: Entry[] = [];
  for (const name of names) {
    const path = join(root, name);
    const tmp = /\.(\d+)\.tmp$/.exec(name);
    try {
      if (tmp) {
        if (!processExists(Number(tmp[1]))) {
          rmSync(path, { recursive: true, force: true });
          removed.push(path);
        }
        continue;
      }
      const st = statSync(path);
      if (st.isDirectory()) entries.push({ path, mtimeMs: st.mtimeMs, bytes: treeBytes(path) });
    } catch {
      /* another uringscope evicted it meanwhile */
    }
  }
  // The one in use first (it counts against the bound too), then the newest.
  entries.sort((a, b) => Number(b.path === keep) - Number(a.path === keep) || b.mtimeMs - a.mtimeMs);
  let count = 0;
  let bytes = 0;
  for (const e of entries) {
    count++;
    bytes += e.bytes;
    if (e.path === keep || (count <= maxEntries && bytes <= maxBytes)) continue; // the one in use stays, whatever its size
    try {
      rmSync(e.path, { recursive: true, force: true });
      removed.push(e.path);
    } catch {
      /* a cache made read-only since (EROFS): its entries still serve, the bound waits */
    }
  }
  return removed;
}
