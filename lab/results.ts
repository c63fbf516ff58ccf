// What one kernel's matrix run found (lab/guest-checks.ts writes it as
// results.json; lab/matrix.ts reads one per kernel and prints the table).
import type { FigureStatus, StrategyStatus } from '../tracers/doctor.js';

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
  /** Wall time; under the lab's TCG guests it is emulated time. */
  ms: number;
}

export interface KernelResult {
  /** uname -r */
  kernel: string;
  /** The Debian package (name version) the lab booted, or "this machine". */
  package: string;
  emulated: boolean;
  strategies: Partial<Record<'link' | 'user' | 'bpf', StrategyStatus>>;
  figures?: Record<string, FigureStatus>;
  checks: CheckResult[];
  /** False while the checks run (the file is rewritten after each one). */
  complete?: boolean;
}
