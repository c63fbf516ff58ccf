// The built-in workloads the engine checks run, and how many chains each.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

// The matrix runs each built-in at most this many chains: TCG is 5-10x slower.
const MAX_CHAINS = 500;

/** Every workloads/builtin/NAME.json, by name. */
export function builtins(root: string): string[] {
  return readdirSync(join(root, 'workloads/builtin')).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, '')).sort();
}

/** The workload's own chains, at most MAX_CHAINS. */
export function chainsOf(root: string, workload: string): number {
  const spec = JSON.parse(readFileSync(join(root, 'workloads/builtin', `${workload}.json`), 'utf8')) as { chains?: number };
  return Math.min(spec.chains ?? MAX_CHAINS, MAX_CHAINS);
}
