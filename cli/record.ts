// `uringscope record -o FILE`: a `run` (WORKLOAD [run options]) or a `trace`
// (--pid N | --comm NAME | -- CMD ARGS...) written to a recording file
// (recording/format.ts). Headless: progress on stderr when it is a TTY;
// with --json, the same NDJSON as `trace --json` / `run --json` on stdout.
import type { Argv } from 'yargs';
import type { NativeSnapshot } from '../native/index.js';
import { EXIT_OK, EXIT_USAGE } from '../core/exit-codes.js';
import { UserError } from '../core/user-error.js';
import type { Summary } from '../tracers/summary.js';
import { TraceRun, type TraceEnd } from '../tracers/trace-run.js';
import { traceEnded } from '../tracers/trace-end.js';
import { resolveWorkload } from '../workloads/catalog.js';
import { EngineRun, type RunEnd } from '../workloads/engine.js';
import { snapshotToJson } from '../recording/format.js';
import { RecordingWriter } from '../recording/writer.js';
import { checkOutput, RecordingOutput, type OutputOptions } from '../recording/output-file.js';
import { writeLine } from './output.js';
import { checkRunArgs, defaultStepBudget, engineRunOptions, runOptions, type RunArgs } from './run-args.js';
import { checkTraceArgs, traceOptions, traceRunOptions, type TraceArgs } from './trace-args.js';
import { stopRunOnSignal, stopTraceOnSignal } from './signals.js';
import { runOutcome } from '../workloads/outcome.js';
import { baseHeader, doneLine, EngineRecording, ktimeNow, Progress, startRecorded } from './recorded.js';

export type RecordArgs = Omit<TraceArgs, 'duration'> & Omit<RunArgs, 'workload'> & { output: string; workload?: string; force: boolean };

export function recordBuilder(y: Argv): Argv<RecordArgs> {
  let b: Argv = y
    .usage(
      '$0 record -o FILE (WORKLOAD [run options] | --pid N | --comm NAME | -- CMD ARGS...) [options]\n\n' +
        'Record a workload run (the arguments of `run`) or a trace (the arguments of `trace`) to FILE: header, ' +
        'per-interval aggregates and, with --events, every request. Read it with `report` and `export`.',
    )
    .positional('workload', { type: 'string', describe: 'workload name or file (a run); omit it for a trace target' })
    .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'the recording file to write (an existing file is refused without --force)' })
    .option('force', { type: 'boolean', default: false, describe: 'replace an existing -o file (never one of the inputs: workload, policy, command)' });
  b = traceOptions(b);
  b = runOptions(b, ['duration', 'interval', 'json']);
  return b
    .option('duration', { type: 'number', describe: 'stop after this many seconds' })
    .option('events', { type: 'boolean', default: false, describe: 'record every request (80-byte records)' })
    .option('json', { type: 'boolean', default: false, describe: 'also print the NDJSON of `trace`/`run --json` on stdout' })
    .example('$0 record -o link.usrec short-read --strategy link', 'a workload run under a strategy')
    .example('$0 record -o app.usrec --events -- ./app', 'every request of a command')
    .check((a) => {
      const r = a as unknown as Partial<RecordArgs>;
      if (!r.output) throw new UserError('give the recording file with -o FILE', EXIT_USAGE);
      if (r.workload) {
        if (r.pid?.length || r.comm || (r['--'] as unknown[] | undefined)?.length) {
          throw new UserError('give a WORKLOAD (a run) or a trace target (--pid, --comm, -- CMD), not both', EXIT_USAGE);
        }
        return checkRunArgs(r);
      }
      return checkTraceArgs(r);
    }) as unknown as Argv<RecordArgs>;
}


/** What `record -o` may not overwrite: the files the run reads (when they are files). */
function recordInputs(a: RecordArgs): string[] {
  const cmd = a['--']?.length ? String(a['--'][0]) : undefined;
  return [a.workload, a.policy, cmd?.includes('/') ? cmd : undefined].filter((p): p is string => !!p);
}

export async function runRecord(a: RecordArgs): Promise<number> {
  const out = { force: a.force, inputs: recordInputs(a) };
  checkOutput(a.output, out); // refused before anything is loaded or started
  return a.workload ? recordRun(a, out) : recordTrace(a, out);
}

async function recordTrace(a: RecordArgs, out: OutputOptions): Promise<number> {
  const opts = traceRunOptions(a);
  const target = opts.target;
  const run = new TraceRun(opts);
  const { stdout: _s, ...targetJson } = target as typeof target & { stdout?: string };
  const file = RecordingOutput.open(a.output, out);
  const writer = await RecordingWriter.create(
    a.output,
    baseHeader('trace', { target: targetJson, intervalMs: opts.intervalMs, durationS: opts.durationS, threads: opts.threads, anatomy: opts.anatomy, inflightEntries: opts.inflightEntries, ringBytes: opts.ringBytes }, a.events),
    { fd: file.fd },
  );
  writer.onFailure(() => run.stop('stopped'));
  const progress = new Progress(writer);
  run.on('interval', (s: Summary, snap: NativeSnapshot) => {
    writer.interval({ ktimeNs: snap.ktimeNs, summary: s, snapshot: snapshotToJson(snap) });
    if (a.json) writeLine(s);
    progress.interval(s);
  });
  if (a.events) run.on('events', (b) => writer.events(b.buffer));

  const ended = new Promise<TraceEnd>((resolve) => run.once('end', resolve));
  stopTraceOnSignal(run);
  await startRecorded(writer, file, a, () => run.start());
  const end = await ended;
  // The summary keeps how the trace ended, so report and export give back the live line exactly.
  const summary = { ...end.summary, ended: traceEnded(end) };
  writer.end({ ktimeNs: ktimeNow(), ...traceEnded(end), summary });
  await writer.close();
  progress.done();
  if (a.json) writeLine(summary);
  doneLine(writer, end.summary, a.json);
  return end.reason === 'command-exit' ? (end.exitCode ?? EXIT_OK) : EXIT_OK;
}



async function recordRun(a: RecordArgs, out: OutputOptions): Promise<number> {
  if (a.threads) throw new UserError('--threads is a trace option; a workload run has none', EXIT_USAGE);
  if (a.anatomy) throw new UserError('--anatomy is a trace option; a workload run has none', EXIT_USAGE);
  const spec = resolveWorkload(a.workload!);
  const run = new EngineRun(spec, engineRunOptions(spec, a, { progressMs: 0, events: a.events }));
  const config = { workload: spec, strategy: a.strategy, chains: a.chains, durationS: a.duration, concurrency: a.concurrency, intervalMs: a.interval, policy: a.policy };
  const rec = await EngineRecording.create(run, a.output, out, 'run', config, a.events);
  const progress = new Progress(rec.writer);
  run.on('interval', (s) => {
    if (a.json) writeLine(s);
    progress.interval(s);
  });
  const ended = new Promise<RunEnd>((resolve) => run.once('end', resolve));
  stopRunOnSignal(run);
  await rec.start();
  const end = await ended;
  await rec.finish(end);
  progress.done();
  if (end.error && !end.engine) throw new UserError(`workload ${spec.name}: ${end.error}`);
  if (a.json) writeLine(end.summary);
  rec.done(end.summary, a.json);
  const o = runOutcome(end.engine, { name: spec.name, strategy: a.strategy, stepBudget: a['step-budget'] ?? defaultStepBudget(spec, a), chains: a.duration ? undefined : (a.chains ?? spec.chains), policy: !!a.policy });
  if (o.message) process.stderr.write(`uringscope: ${o.message}\n`);
  return o.exitCode;
}
