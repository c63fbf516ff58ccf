// How a workload run is asked for: the plan's overrides (workloads/plan.ts)
// plus what the runner itself takes. Its own file, so what checks the
// options (workloads/run-fit.ts) and what runs them (workloads/engine.ts)
// both read it without importing each other.
import type { BpfPathChoice } from './bpf-path.js';
import type { RunOverrides } from './plan.js';

export interface RunOptions extends RunOverrides {
  intervalMs?: number;
  /** Stream every request of the run as tracer event records ('events'). */
  events?: boolean;
  /** Where scratch files go (a fresh directory inside it); default the OS temp dir. */
  scratchParent?: string;
  /** A C policy (file or built-in name) for strategies user and bpf. */
  policy?: string;
  /** Strategy bpf: --bpf-path (default auto: ops where the kernel has it). */
  bpfPathChoice?: BpfPathChoice;
  /** --force-bpf-ops: attach bpf-ops even on a kernel with CVE-2026-72112. */
  forceBpfOps?: boolean;
}
