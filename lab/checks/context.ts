// What every check is given: where the CLI is, a scratch directory, and what
// doctor found on this kernel, which decides the strategies (and so the
// checks and their names) that run.
import { join } from 'node:path';
import type { DoctorReport } from '../../tracers/doctor.js';
import { uringscope, type Run } from './uringscope.js';

/** What the checks have before doctor has run. */
export interface Lab {
  /** The repository: dist/, build/ and workloads/ are under it. */
  root: string;
  /** dist/bin/uringscope.js, for the checks that spawn it themselves. */
  cli: string;
  /** A directory for the runs' files, removed after the last check. */
  scratch: string;
  /** Runs the CLI (see uringscope.ts). */
  uringscope: (args: string[], timeoutMs?: number) => Promise<Run>;
}

/** One way a workload is run: a strategy, and for bpf the path it must take. */
export interface StrategyRun {
  label: string;
  args: string[];
  /** engine.policy.path the run must report. */
  path?: string;
}

export interface Context extends Lab {
  /** doctor --json's report; undefined when doctor gave none. */
  doctor?: DoctorReport;
  /** The strategies this kernel runs: link and user, and bpf when doctor says it can. */
  strategies: ('link' | 'user' | 'bpf')[];
  /** bpf takes the ops path (7.1+). */
  ops: boolean;
  /** Upstream io_uring bpf-ops (7.1+): an application's own loop_step can drive its ring. */
  bpfOps: boolean;
  /** Every run a workload gets, in this order. */
  runs: StrategyRun[];
}

/** One named check. Its name is what --resume and GUEST_CHECKS match, and what the log prints. */
export interface Check {
  name: string;
  /** Whether this kernel runs it; always when absent. */
  when?: (ctx: Context) => boolean;
  /** Throws what differed; returns the detail printed after the name. */
  run: (ctx: Context) => Promise<string | void>;
}

/** A file's checks, in order; their names may depend on what doctor found. */
export type Checks = (ctx: Context) => Check[];

export function lab(root: string, scratch: string): Lab {
  const cli = join(root, 'dist/bin/uringscope.js');
  return { root, cli, scratch, uringscope: (args, timeoutMs) => uringscope(root, cli, args, timeoutMs) };
}

export function contextOf(l: Lab, doctor: DoctorReport | undefined): Context {
  const strategies = (['link', 'user', 'bpf'] as const).filter((st) => doctor?.strategies[st].ok ?? st !== 'bpf');
  // Where bpf takes the ops path (7.1+), the map-backed path is checked beside it.
  const ops = !!(doctor?.strategies.bpf.ok && doctor.strategies.bpf.path === 'ops');
  const runs: StrategyRun[] = strategies.flatMap((st): StrategyRun[] =>
    st !== 'bpf'
      ? [{ label: st, args: ['--strategy', st] }]
      : ops
        ? [
          { label: 'bpf (ops)', args: ['--strategy', 'bpf', '--bpf-path', 'ops'], path: 'ops' },
          { label: 'bpf (ops, 2 rings)', args: ['--strategy', 'bpf', '--bpf-path', 'ops', '--rings', '2'], path: 'ops' },
          { label: 'bpf (map)', args: ['--strategy', 'bpf', '--bpf-path', 'map'], path: 'map-backed-sqpoll' },
        ]
        : [{ label: 'bpf', args: ['--strategy', 'bpf'], path: 'map-backed-sqpoll' }],
  );
  const bpfOps = !!doctor?.checks.find((c) => c.id === 'bpf_ops')?.detail.startsWith('present');
  return { ...l, doctor, strategies, ops, bpfOps, runs };
}
