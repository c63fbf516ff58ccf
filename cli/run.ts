// `uringscope run WORKLOAD`: runs a chain workload in the native engine
// under a strategy, with the tracer attached; one summary holds both views.
import { constants } from 'node:os';
import type { Argv } from 'yargs';
import { UserError } from '../tracers/errors.js';
import type { Summary } from '../tracers/summary.js';
import { resolveWorkload } from '../workloads/catalog.js';
import { EngineRun, type EngineProgress, type RunEnd } from '../workloads/engine.js';
import { writeLine } from './output.js';
import { renderSummary } from './summary-table.js';
import { fmtCount, fmtNs, fmtRatio } from './units.js';

export interface RunArgs {
  workload: string;
  strategy: 'link' | 'user' | 'bpf';
  chains?: number;
  duration?: number;
  concurrency?: number;
  interval: number;
  json: boolean;
  scratch?: string;
}

export function runBuilder(y: Argv): Argv<RunArgs> {
  return y
    .usage('$0 run WORKLOAD [options]\n\nRun a chain workload (a built-in name, ./workloads/NAME or a .json file) in the native engine, traced.')
    .positional('workload', { type: 'string', describe: 'workload name or file', demandOption: true })
    .option('strategy', { alias: 's', choices: ['link', 'user', 'bpf'] as const, default: 'link' as const, describe: 'who advances the chains' })
    .option('chains', { alias: 'n', type: 'number', describe: 'chains to run (default: the workload\'s)' })
    .option('duration', { alias: 'd', type: 'number', describe: 'run for this many seconds instead of a chain count' })
    .option('concurrency', { alias: 'c', type: 'number', describe: 'chains in flight at once' })
    .option('interval', { type: 'number', default: 1000, describe: 'milliseconds between interval reports' })
    .option('json', { type: 'boolean', default: false, describe: 'NDJSON: "interval" lines and a final "summary" line with an "engine" object' })
    .option('scratch', { type: 'string', describe: 'directory for scratch files (default: the system temp dir)' })
    .example('$0 run short-read --strategy link', 'kernel links: watch the cancellations')
    .example('$0 run copy --strategy user --json', 'userspace-driven copy, as NDJSON')
    .check((a) => {
      if (a.chains !== undefined && a.duration !== undefined) throw new UserError('give --chains or --duration, not both', 2);
      if (a.chains !== undefined && !(Number.isInteger(a.chains) && a.chains > 0)) throw new UserError('--chains must be a positive integer', 2);
      if (a.duration !== undefined && !(a.duration > 0)) throw new UserError('--duration must be a positive number of seconds', 2);
      if (a.concurrency !== undefined && !(Number.isInteger(a.concurrency) && a.concurrency > 0 && a.concurrency <= 65536)) {
        throw new UserError('--concurrency must be an integer from 1 to 65536', 2);
      }
      return true;
    }) as unknown as Argv<RunArgs>;
}

function errnoName(res: number): string {
  const e = Object.entries(constants.errno).find(([, v]) => v === -res);
  return e ? e[0] : String(res);
}

function engineLines(s: Summary): string {
  const e = s.engine as Record<string, unknown> & {
    chains: number; steps: number; resubmits: number; cancelled: number; retries: number; bytes: number;
    wallNs: number; cpuNs: number; enterCalls: number; ctxSwitches: { voluntary: number; involuntary: number };
    chainLatencyNs: { p50: number; p99: number }; strategy: string; chainsFailed: number;
  };
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

export async function runRun(a: RunArgs): Promise<number> {
  if (a.strategy === 'bpf') {
    throw new UserError('the bpf strategy is not built yet (in-kernel chain policies are the next issue): use --strategy link or user', 64);
  }
  const spec = resolveWorkload(a.workload);
  const tty = process.stderr.isTTY && !a.json;
  const run = new EngineRun(spec, {
    strategy: a.strategy,
    chains: a.chains,
    durationS: a.duration,
    concurrency: a.concurrency,
    intervalMs: a.interval,
    progressMs: tty ? 200 : 0,
    scratchParent: a.scratch,
  });
  let elapsed = 0;
  run.on('interval', (s) => {
    elapsed += s.durationNs;
    if (a.json) writeLine(s);
    else if (!tty) process.stdout.write(renderSummary(s, `+${(elapsed / 1e9).toFixed(1)}s`) + '\n');
  });
  if (tty) run.on('progress', (p) => process.stderr.write(progressLine(p, a.duration ? undefined : (a.chains ?? spec.chains))));

  const ended = new Promise<RunEnd>((resolve) => run.once('end', resolve));
  let signals = 0;
  const onSignal = () => {
    // First Ctrl-C: the engine cancels what is in flight and reports; a second one does not wait.
    if (++signals > 1) process.exit(130);
    run.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  await run.start();
  const end = await ended;
  if (tty) process.stderr.write('\n');
  if (end.error && !end.engine) throw new UserError(`workload ${spec.name}: ${end.error}`);
  if (a.json) writeLine(end.summary);
  else process.stdout.write(`${renderSummary(end.summary, `summary: ${spec.name}`)}\n${engineLines(end.summary)}\n`);
  const e = end.engine!;
  if (e.chainsFailed > 0) {
    process.stderr.write(`uringscope: ${e.chainsFailed} chains of ${spec.name} failed (first error ${errnoName(e.firstError)})\n`);
    return 1;
  }
  return 0;
}
