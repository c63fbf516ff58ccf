// doctor's check for what killed runs left behind: run directories whose
// owner is gone (workloads/run-dir.ts). Every run start removes them anyway;
// doctor lists them, and `doctor --fix` removes them. Never a blocker: no
// strategy needs the temp dir clean.
import { tmpdir } from 'node:os';
import { staleRunDirs, sweepRunDirs, type StaleDir } from './run-dir.js';
import type { Check } from '../tracers/doctor.js';

function listed(dirs: StaleDir[]): string {
  const first = dirs.slice(0, 3).map((d) => `${d.path} (${d.reason})`).join(', ');
  return dirs.length > 3 ? `${first}, and ${dirs.length - 3} more` : first;
}

export function leftoversCheck(fix: boolean): Check {
  const check = { id: 'stale_runs', name: 'stale run directories' };
  if (fix) {
    const removed = sweepRunDirs();
    const left = staleRunDirs();
    return {
      ...check,
      status: left.length ? 'warn' : 'ok',
      detail: `removed ${removed.length} in ${tmpdir()}${left.length ? `; cannot remove ${listed(left)}` : ''}`,
      fix: left.length ? 'remove them by hand (rm -r), as their owner' : undefined,
      items: left.map((d) => d.path),
      removed: removed.map((d) => d.path),
    };
  }
  const stale = staleRunDirs();
  return {
    ...check,
    status: stale.length ? 'warn' : 'ok',
    detail: stale.length ? `${stale.length} in ${tmpdir()} left by killed runs: ${listed(stale)}` : `none in ${tmpdir()}`,
    fix: 'uringscope doctor --fix removes them (so does the next run, record or replay)',
    items: stale.map((d) => d.path),
  };
}
