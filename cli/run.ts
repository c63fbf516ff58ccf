// `uringscope run WORKLOAD`: runs a chain workload in the native engine
// under a strategy, with the tracer attached; one summary holds both views.
import type { Argv, Options } from 'yargs';
import { UserError } from '../tracers/errors.js';
import type { Summary } from '../tracers/summary.js';
import { resolveWorkload } from '../workloads/catalog.js';
import type { WorkloadSpec } from '../workloads/spec.js';
import { bpfPathNote, mapBackedRefusal } from '../workloads/bpf-path.js';
import { EngineRun, type EngineProgress, type RunEnd, type RunOptions } from '../workloads/engine.js';
import { writeLine } from './output.js';
import { renderSummary } from './summary-table.js';
import { fmtCount, fmtNs, fmtRatio } from './units.js';
import { stopRunOnSignal } from './signals.js';
import { checkChains, checkDuration, checkInterval, checkStepBudget } from './flag-bounds.js';
import { MAX_CONCURRENCY } from '../workloads/schema.js';
import { STRATEGIES, type Strategy } from '../core/strategy.js';
import { runOutcome } from '../workloads/outcome.js';

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
}

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
    rings: { type: 'number', describe: 'strategy bpf: spread the chains over N SQPOLL rings (1-4), one kernel thread per CPU (default 1)' },
    policy: { type: 'string', describe: 'strategies user/bpf: a C policy (FILE.c, or a built-in: see bpf/policies/) decides instead of the steps' },
  };
  for (const [name, o] of Object.entries(opts)) if (!except.includes(name)) y = y.option(name, o);
  return y;
}

/** The argument checks of `run` (shared with `record`). */
export function checkRunArgs(a: Partial<RunArgs>): true {
  if (a.chains !== undefined && a.duration !== undefined) throw new UserError('give --chains or --duration, not both', 2);
  checkChains(a.chains);
  checkDuration(a.duration, false);
  checkInterval(a.interval);
  checkStepBudget(a['step-budget']);
  if (a.rings !== undefined && !(Number.isInteger(a.rings) && a.rings >= 1 && a.rings <= 4)) throw new UserError('--rings must be an integer from 1 to 4', 2);
  if (a.rings !== undefined && a.rings > 1 && a.strategy !== undefined && a.strategy !== 'bpf') throw new UserError('--rings is for --strategy bpf (its SQPOLL rings)', 2);
  if (a.concurrency !== undefined && !(Number.isInteger(a.concurrency) && a.concurrency > 0 && a.concurrency <= MAX_CONCURRENCY)) {
    throw new UserError(`--concurrency must be an integer from 1 to ${MAX_CONCURRENCY}`, 2);
  }
  return true;
}

export function runBuilder(y: Argv): Argv<RunArgs> {
  return runOptions(
    y
      .usage('$0 run WORKLOAD [options]\n\nRun a chain workload (a built-in name, ./workloads/NAME or a .json file) in the native engine, traced.')
      .positional('workload', { type: 'string', describe: 'workload name or file', demandOption: true }),
  )
    .example('$0 run short-read --strategy link', 'kernel links: watch the cancellations')
    .example('$0 run copy --strategy user --json', 'userspace-driven copy, as NDJSON')
    .example('$0 run header-body --strategy bpf --policy header-body', 'a C policy decides in the kernel')
    .check((a) => checkRunArgs(a as Partial<RunArgs>)) as unknown as Argv<RunArgs>;
}


/** The engine block of a human summary (shared with `replay`). */
export function engineLines(s: Summary): string {
  const e = s.engine!;
  const perStep = (n: number) => fmtRatio(n, e.steps, 3);
  return [
    `── engine (${e.strategy}) ${'─'.repeat(50)}`,
    `  chains ${fmtCount(e.chains)}  steps ${fmtCount(e.steps)}  ${fmtCount(e.steps / (e.wallNs / 1e9))} steps/s  bytes ${fmtCount(e.bytes)}  failed ${e.chainsFailed}`,
    `  resubmits ${fmtCount(e.resubmits)}  cancelled ${fmtCount(e.cancelled)}  retries ${fmtCount(e.retries)}  chain p50 ${fmtNs(e.chainLatencyNs.p50)} p99 ${fmtNs(e.chainLatencyNs.p99)}`,
    `  per step: io_uring_enter ${perStep(s.enter.calls)}  voluntary switches ${perStep(s.ctxSwitches.byThread.app.voluntary)}  cpu ${fmtNs(e.cpuNs / Math.max(1, e.steps))}`,
  ].join('\n');
}

function progressLine(p: EngineProgress, total: number | undefined): string {
  const of = total ? `/${fmtCount(total)}` : '';
  return `\r  chains ${fmtCount(p.chains)}${of}  steps ${fmtCount(p.steps)}  resubmits ${fmtCount(p.resubmits)}   `;
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
    ...extra,
  };
}

export async function runRun(a: RunArgs): Promise<number> {
  if (a.strategy === 'bpf' && !a.json && !mapBackedRefusal()) {
    // 6.18 has no upstream io_uring bpf-ops (Linux 7.1): say which path runs.
    process.stderr.write(`uringscope: ${bpfPathNote()}\n`);
  }
  const spec = resolveWorkload(a.workload);
  const tty = process.stderr.isTTY && !a.json;
  const run = new EngineRun(spec, engineRunOptions(spec, a, { progressMs: tty ? 200 : 0 }));
  let elapsed = 0;
  run.on('interval', (s) => {
    elapsed += s.durationNs;
    if (a.json) writeLine(s);
    else if (!tty) process.stdout.write(renderSummary(s, `+${(elapsed / 1e9).toFixed(1)}s`) + '\n');
  });
  if (tty) run.on('progress', (p) => process.stderr.write(progressLine(p, a.duration ? undefined : (a.chains ?? spec.chains))));

  const ended = new Promise<RunEnd>((resolve) => run.once('end', resolve));
  stopRunOnSignal(run);
  await run.start();
  const end = await ended;
  if (tty) process.stderr.write('\n');
  if (end.error && !end.engine) throw new UserError(`workload ${spec.name}: ${end.error}`);
  if (a.json) writeLine(end.summary);
  else process.stdout.write(`${renderSummary(end.summary, `summary: ${spec.name}`)}\n${engineLines(end.summary)}\n`);
  const o = runOutcome(end.engine, { name: spec.name, strategy: a.strategy, stepBudget: a['step-budget'] ?? defaultStepBudget(spec, a) });
  if (o.message) process.stderr.write(`uringscope: ${o.message}\n`);
  return o.exitCode;
}
