// Checks of a workload against one run of it, before anything is created:
// what depends on the command line (strategy, --concurrency) or on this
// machine (free space in the scratch directory), which the file's own
// validation cannot know. Each failure is one UserError line (exit 2) naming
// the workload, the JSON path and what was expected.
import { accessSync, constants, statfsSync } from 'node:fs';
import { EXIT_USAGE } from '../core/exit-codes.js';
import { UserError } from '../core/user-error.js';
import { workloadSource } from './load.js';
import { bufferBytes } from './plan.js';
import { scratchParent } from './run-dir.js';
import { MAX_RING_ENTRIES, MAX_TOTAL_BUFFER_BYTES } from './schema.js';
import type { WorkloadSpec } from './spec.js';
import type { RunOptions } from './run-options.js';

const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;

/** "x.json: /targets/in/size: ..." as at load time; a spec built in code is named by its name. */
function refuse(spec: WorkloadSpec, path: string, message: string): never {
  throw new UserError(`${workloadSource(spec) ?? `workload ${spec.name}`}: ${path}: ${message}`, EXIT_USAGE);
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Scratch files are filled before the first request: a run that cannot fit them would fill the disk first. */
function checkScratchSpace(spec: WorkloadSpec, parent: string): void {
  const files = Object.entries(spec.targets ?? {}).flatMap(([name, t]) => (t.kind === 'file' && t.size > 0 ? [{ name, size: t.size }] : []));
  const need = files.reduce((n, f) => n + f.size, 0);
  if (need === 0 || !writable(parent)) return; // an unwritable directory: creating the run's directory there says why
  let free: number;
  try {
    const st = statfsSync(parent);
    free = st.bavail * st.bsize;
  } catch (e) {
    throw new UserError(`cannot use ${parent} for scratch files: ${(e as NodeJS.ErrnoException).code ?? e}`, EXIT_USAGE);
  }
  if (need > free) {
    const big = files.reduce((a, b) => (b.size > a.size ? b : a));
    const what = files.length > 1 ? `its ${files.length} scratch files need ${mib(need)}` : `the scratch file needs ${mib(need)}`;
    refuse(spec, `/targets/${big.name}/size`, `${what} (size ${big.size}) but ${parent} has ${mib(free)} free: use a smaller size or --scratch DIR`);
  }
}

/** Under link a chain's steps are all in the SQ at once (native/engine/link_user_loop.cc sizes the ring for that). */
function checkRingFits(spec: WorkloadSpec, o: RunOptions): void {
  if (o.strategy !== 'link') return;
  const conc = o.concurrency ?? spec.concurrency ?? 16;
  const need = conc * spec.steps.length + 1;
  if (need > MAX_RING_ENTRIES) {
    const max = Math.floor((MAX_RING_ENTRIES - 1) / spec.steps.length);
    const what = `${conc} linked chains of ${spec.steps.length} steps need ${need} ring entries; io_uring holds at most ${MAX_RING_ENTRIES} (use at most ${max})`;
    if (o.concurrency !== undefined) throw new UserError(`--concurrency: ${what} for workload ${spec.name}`, EXIT_USAGE);
    refuse(spec, '/concurrency', what);
  }
}

/** The engine allocates and zeroes every chain's buffer before the first request (16 chains of 1 GiB swapped the machine to a halt). */
function checkBufferMemory(spec: WorkloadSpec, o: RunOptions): void {
  const conc = o.concurrency ?? spec.concurrency ?? 16;
  const per = Math.ceil(bufferBytes(spec) / 4096) * 4096;
  if (per * conc > MAX_TOTAL_BUFFER_BYTES) {
    const where = spec.bufferBytes !== undefined ? '/bufferBytes' : '/steps';
    refuse(spec, where, `${conc} chains in flight with ${mib(per)} of buffer each need ${mib(per * conc)}; the limit is ${mib(MAX_TOTAL_BUFFER_BYTES)} (lower bufferBytes or the concurrency)`);
  }
}

export function checkRunFits(spec: WorkloadSpec, o: RunOptions): void {
  checkRingFits(spec, o);
  checkBufferMemory(spec, o);
  checkScratchSpace(spec, scratchParent(o.scratchParent));
}
