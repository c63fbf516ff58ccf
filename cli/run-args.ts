// The workload-run arguments `run`, `record` and `tui` share: the options,
// their checks, and what they become for the engine. Not a command: command
// files import this, never each other (test/unit/layering.test.ts).
import type { Argv, Options } from 'yargs';
import { STRATEGIES, type Strategy } from '../core/strategy.js';
import { EXIT_USAGE } from '../core/exit-codes.js';
import { UserError } from '../core/user-error.js';
import type { RunOptions } from '../workloads/run-options.js';
import type { WorkloadSpec } from '../workloads/spec.js';
import type { BpfPathChoice } from '../workloads/bpf-path.js';
import { checkChains, checkConcurrency, checkDuration, checkInterval, checkPathFlag, checkRings, checkStepBudget } from './flag-bounds.js';

export interface RunArgs {
  workload: string;
  strategy: Strategy;
  chains?: number;
  duration?: number;
  concurrency?: number;
  interval: number;
  json: boolean;
  scratch?: string;
  'step-budget'?: number;
  policy?: string;
  rings?: number;
  'bpf-path'?: BpfPathChoice;
  'force-bpf-ops'?: boolean;
}

/** --bpf-path and --force-bpf-ops (run, record, replay). */
export const BPF_PATH_OPTIONS: Record<string, Options> = {
  'bpf-path': {
    choices: ['auto', 'ops', 'map'] as const, default: 'auto' as const,
    describe: 'strategy bpf: ops = the policy runs in the ring\'s bpf-ops loop step (Linux 7.1+), map = on io_uring_complete over a map-backed SQPOLL ring (6.6+); auto = ops where the kernel has it',
  },
  'force-bpf-ops': { type: 'boolean', default: false, describe: 'attach bpf-ops even on 7.1.0-7.1.4 (CVE-2026-72112)' },
};

/** The options of `run` besides the workload positional (shared with `record`, which passes the ones it defines itself in `except`). */
export function runOptions(y: Argv, except: readonly string[] = []): Argv {
  const opts: Record<string, Options> = {
    strategy: { alias: 's', choices: STRATEGIES, default: 'link' as const, describe: 'who advances the chains' },
    chains: { alias: 'n', type: 'number', describe: 'chains to run (default: the workload\'s)' },
    duration: { alias: 'd', type: 'number', describe: 'run for this many seconds instead of a chain count' },
    concurrency: { alias: 'c', type: 'number', describe: 'chains in flight at once' },
    interval: { type: 'number', default: 1000, describe: 'milliseconds between interval reports' },
    json: { type: 'boolean', default: false, describe: 'NDJSON: "interval" lines and a final "summary" line with an "engine" object' },
    scratch: { type: 'string', describe: 'directory for scratch files (default: the system temp dir)' },
    'step-budget': { type: 'number', describe: 'strategy bpf or a --policy: stop the run once the policy issued this many steps (runaway guard; default 10x the planned steps)' },
    rings: { type: 'number', describe: 'strategy bpf: spread the chains over N rings (1-4): SQPOLL rings with one kernel thread per CPU (map path), or one engine thread and bpf-ops attachment per ring (ops path) (default 1)' },
    policy: { type: 'string', describe: 'strategies user/bpf: a C policy (FILE.c, or a built-in: see bpf/policies/) decides instead of the steps' },
    ...BPF_PATH_OPTIONS,
  };
  for (const [name, o] of Object.entries(opts)) if (!except.includes(name)) y = y.option(name, o);
  return y;
}

/** The argument checks of `run` (shared with `record`). */
export function checkRunArgs(a: Partial<RunArgs>): true {
  if (a.chains !== undefined && a.duration !== undefined) throw new UserError('give --chains or --duration, not both', EXIT_USAGE);
  checkChains(a.chains);
  checkDuration(a.duration, false);
  checkInterval(a.interval);
  checkStepBudget(a['step-budget']);
  checkRings(a.rings);
  checkPathFlag('--scratch', a.scratch);
  checkPathFlag('--policy', a.policy);
  if (a.rings !== undefined && a.rings > 1 && a.strategy !== undefined && a.strategy !== 'bpf') throw new UserError('--rings is for --strategy bpf (its rings)', EXIT_USAGE);
  checkConcurrency(a.concurrency);
  return true;
}

/**
 * A BPF policy that keeps issuing requests would never give the ring back:
 * by default a run may issue ten times the steps it plans, then it is stopped.
 */
export function defaultStepBudget(spec: WorkloadSpec, a: Pick<RunArgs, 'duration' | 'chains'>): number {
  if (a.duration !== undefined) return 0;
  return 10 * (a.chains ?? spec.chains ?? 1000) * spec.steps.length + 1000;
}

/** What `run` and `record` hand the engine for a workload run: the same options, one place. */
export function engineRunOptions(spec: WorkloadSpec, a: Omit<RunArgs, 'workload' | 'json'>, extra: Partial<RunOptions> = {}): RunOptions {
  return {
    strategy: a.strategy,
    chains: a.chains,
    durationS: a.duration,
    concurrency: a.concurrency,
    intervalMs: a.interval,
    scratchParent: a.scratch,
    stepBudget: a['step-budget'] ?? defaultStepBudget(spec, a),
    policy: a.policy,
    rings: a.rings,
    bpfPathChoice: a['bpf-path'],
    forceBpfOps: a['force-bpf-ops'],
    ...extra,
  };
}
