// The workloads a name can refer to: the built-ins shipped with uringscope
// and the user's own in ./workloads. A workload is named by its file name,
// which must match its `name`. Built-ins win a name clash, so a name means the
// same workload in every directory; the shadowed local file stays runnable by
// its path.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { EXIT_USAGE } from '../core/exit-codes.js';
import { UserError } from '../core/user-error.js';
import { packageRoot } from '../core/package-root.js';
import { loadWorkloadFile } from './load.js';
import type { WorkloadSpec } from './spec.js';

export interface CatalogEntry {
  name: string;
  description: string;
  source: 'builtin' | 'local';
  path: string;
  /** Why a local file cannot be used (it does not parse, or its name is taken); it is listed anyway. */
  error?: string;
}

interface Scanned {
  entry: CatalogEntry;
  spec?: WorkloadSpec;
}

/** The JSON files stay in the package's workloads/builtin while the code runs from dist/. */
export function builtinDir(): string {
  return join(packageRoot(), 'workloads', 'builtin');
}

function localDirs(): string[] {
  return [resolve(process.cwd(), 'workloads')];
}

function jsonFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => join(dir, f))
    .sort((a, b) => basename(a, '.json').localeCompare(basename(b, '.json')));
}

function scanFile(path: string, source: CatalogEntry['source']): Scanned {
  const name = basename(path, '.json');
  try {
    // The user's directory may hold anything: only regular files are opened there.
    const spec = loadWorkloadFile(path, { regularOnly: source === 'local' });
    if (spec.name !== name) throw new UserError(`${path}: /name: must match the file name, "${name}" (got "${spec.name}")`, EXIT_USAGE);
    return { entry: { name, description: spec.description, source, path }, spec };
  } catch (e) {
    // a broken built-in is our bug, not the user's
    if (source === 'builtin' || !(e instanceof UserError)) throw e;
    return { entry: { name, description: '', source, path, error: e.message } };
  }
}

function scan(extraDirs: string[]): Scanned[] {
  const found = jsonFiles(builtinDir()).map((p) => scanFile(p, 'builtin'));
  const dirs = extraDirs.filter((d) => existsSync(d) && statSync(d).isDirectory());
  for (const path of dirs.flatMap(jsonFiles)) {
    const s = scanFile(path, 'local');
    const first = found.find((f) => f.entry.name === s.entry.name);
    if (first) found.push({ entry: { ...s.entry, error: `the name "${s.entry.name}" is taken by ${first.entry.path}: run this one by its path` } });
    else found.push(s);
  }
  return found;
}

/** Built-ins first, then the .json files of `extraDirs` (those that do not exist are skipped). */
export function listWorkloads(extraDirs = localDirs()): CatalogEntry[] {
  return scan(extraDirs).map((s) => s.entry);
}

/** A path (has a "/" or ends in .json) is loaded as is; anything else is a catalog name. */
export function resolveWorkload(nameOrPath: string, extraDirs = localDirs()): WorkloadSpec {
  if (nameOrPath.includes('/') || nameOrPath.endsWith('.json')) return loadWorkloadFile(nameOrPath);
  const all = scan(extraDirs);
  const hit = all.find((s) => s.entry.name === nameOrPath);
  if (hit?.spec) return hit.spec;
  if (hit?.entry.error) throw new UserError(hit.entry.error, EXIT_USAGE);
  const names = (source: CatalogEntry['source']) => all.filter((s) => s.entry.source === source).map((s) => s.entry.name);
  const local = names('local');
  throw new UserError(
    `no workload named "${nameOrPath}": built-ins are ${names('builtin').join(', ')}` +
      `${local.length ? `; local: ${local.join(', ')}` : ''} (see \`uringscope workloads\`)`,
    EXIT_USAGE,
  );
}
