// Which BPF programs of ours are still loaded: after a run, none may be.
import { bpfPrograms } from '../../test/bpf-programs.js';

/** Our programs still loaded: the tracer's (on_*) and the policies' (policy_*). */
export function ourPrograms(): string[] {
  return bpfPrograms()
    .map((p) => p.name ?? '')
    .filter((n) => n.startsWith('on_') || n.startsWith('policy_'));
}

/** struct_ops loop_step programs (uring_ops') still loaded. */
export function loopStepPrograms(): string[] {
  return bpfPrograms()
    .filter((p) => p.type === 'struct_ops' && p.name === 'loop_step')
    .map((p) => `struct_ops ${p.name}`);
}

/**
 * Waits up to ms for every program of ours (or of `programs`) to be gone: the
 * kernel frees an exited process's programs a moment later (deferred fput, RCU).
 */
export async function noProgramsWithin(ms: number, programs: () => string[] = ourPrograms): Promise<void> {
  let left = programs();
  for (const t0 = Date.now(); left.length && Date.now() - t0 < ms; left = programs()) await new Promise((r) => setTimeout(r, 100));
  if (left.length) throw new Error(`still loaded after ${ms / 1000} s: ${left.join(', ')}`);
}
