// `uringscope run WORKLOAD`: runs a chain workload in the native engine
// under a strategy, with the tracer attached; one summary holds both views.
import type { Argv } from 'yargs';
import { UserError } from '../core/user-error.js';
import { resolveWorkload } from '../workloads/catalog.js';
import { bpfPathNote, chooseBpfPath } from '../workloads/bpf-path.js';
import { EngineRun, type RunEnd } from '../workloads/engine.js';
import type { EngineProgress } from '../core/engine-result.js';
import { writeLine } from './output.js';
import { renderSummary } from './summary-table.js';
import { fmtCount } from '../core/units.js';
import { stopRunOnSignal } from './signals.js';
import { runOutcome } from '../workloads/outcome.js';
import { checkRunArgs, defaultStepBudget, engineRunOptions, runOptions, type RunArgs } from './run-args.js';
import { engineLines } from './engine-lines.js';


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



function progressLine(p: EngineProgress, total: number | undefined): string {
  const of = total ? `/${fmtCount(total)}` : '';
  return `\r  chains ${fmtCount(p.chains)}${of}  steps ${fmtCount(p.steps)}  resubmits ${fmtCount(p.resubmits)}   `;
}


export async function runRun(a: RunArgs): Promise<number> {
  if (a.strategy === 'bpf' && !a.json) {
    // Say which path runs (a refusal is EngineRun's to report, with its exit status).
    try {
      process.stderr.write(`uringscope: ${bpfPathNote(chooseBpfPath(a['bpf-path'], a['force-bpf-ops']))}\n`);
    } catch {
      /* refused: reported when the run starts */
    }
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
  const o = runOutcome(end.engine, { name: spec.name, strategy: a.strategy, stepBudget: a['step-budget'] ?? defaultStepBudget(spec, a), chains: a.duration ? undefined : (a.chains ?? spec.chains), policy: !!a.policy });
  if (o.message) process.stderr.write(`uringscope: ${o.message}\n`);
  return o.exitCode;
}
