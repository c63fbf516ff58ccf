// `uringscope record -o FILE`: a `run` (WORKLOAD [run options]) or a `trace`
// (--pid N | --comm NAME | -- CMD ARGS...) written to a recording file
// (recording/format.ts). Headless: progress on stderr when it is a TTY;
// with --json, the same NDJSON as `trace --json` / `run --json` on stdout.
import { cpus, release, version as osVersion, arch } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv } from 'yargs';
import type { NativeSnapshot } from '../native/index.js';
import { UserError } from '../tracers/errors.js';
import { native, packageRoot } from '../tracers/native.js';
import type { Summary } from '../tracers/summary.js';
import { TraceRun, type TraceEnd } from '../tracers/trace-run.js';
import { resolveWorkload } from '../workloads/catalog.js';
import { EngineRun, type EngineProcess, type RunEnd } from '../workloads/engine.js';
import { EVENT_LAYOUT, FORMAT_VERSION, snapshotToJson, type RecordingHeader } from '../recording/format.js';
import { RecordingWriter } from '../recording/writer.js';
import { checkOutput, openRecordingOutput, type OutputOptions } from '../recording/output-file.js';
import { writeLine } from './output.js';
import { checkRunArgs, defaultStepBudget, engineRunOptions, runOptions, type RunArgs } from './run.js';
import { checkTraceArgs, targetOf, traceOptions, type TraceArgs } from './trace.js';
import { fmtCount } from './units.js';
import { stopRunOnSignal, stopTraceOnSignal } from './signals.js';
import { runOutcome } from '../workloads/outcome.js';

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
      if (!r.output) throw new UserError('give the recording file with -o FILE', 2);
      if (r.workload) {
        if (r.pid?.length || r.comm || (r['--'] as unknown[] | undefined)?.length) {
          throw new UserError('give a WORKLOAD (a run) or a trace target (--pid, --comm, -- CMD), not both', 2);
        }
        return checkRunArgs(r);
      }
      return checkTraceArgs(r);
    }) as unknown as Argv<RecordArgs>;
}

function toolVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function baseHeader(mode: RecordingHeader['mode'], config: Record<string, unknown>, events: boolean): RecordingHeader {
  const n = native();
  const c = cpus();
  return {
    format: 'uringscope-recording',
    formatVersion: FORMAT_VERSION,
    tool: { name: 'uringscope', version: toolVersion(), node: process.version },
    createdAt: new Date().toISOString(),
    startKtimeNs: Number(process.hrtime.bigint()), // CLOCK_MONOTONIC, like the BPF timestamps
    kernel: { release: release(), version: osVersion(), arch: arch() },
    cpu: { model: c[0]?.model ?? 'unknown', count: c.length },
    commandLine: process.argv.slice(2),
    mode,
    config,
    events,
    eventLayout: EVENT_LAYOUT,
    opNames: n.opNames(),
    histBuckets: n.histBuckets,
    histSubBits: n.histSubBits,
  };
}

function ktimeNow(): number {
  return Number(process.hrtime.bigint());
}

/** Progress on stderr, only when it is a terminal. */
class Progress {
  private readonly tty = !!process.stderr.isTTY;
  private elapsedNs = 0;
  constructor(private readonly w: RecordingWriter) {}
  interval(s: Summary): void {
    this.elapsedNs += s.durationNs;
    if (!this.tty) return;
    const w = this.w;
    const lost = w.writerLost ? `  writer lost ${fmtCount(w.writerLost)}` : '';
    process.stderr.write(
      `\r  +${(this.elapsedNs / 1e9).toFixed(1)}s  ${fmtCount(w.eventsWritten)} events  ${(w.bytes / 1048576).toFixed(1)} MiB  drops ${fmtCount(s.drops)}${lost}   `,
    );
  }
  done(): void {
    if (this.tty) process.stderr.write('\n');
  }
}

function doneLine(w: RecordingWriter, s: Summary, json: boolean): void {
  if (json && !process.stderr.isTTY) return;
  const ev = s.events ? `, ${fmtCount(w.eventsWritten)} events (lost: ${fmtCount(s.drops)} by the tracer, ${fmtCount(w.writerLost)} by the writer)` : '';
  process.stderr.write(`uringscope: recorded ${w.chunks} chunks${ev}, ${(w.bytes / 1048576).toFixed(1)} MiB to ${w.path}\n`);
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
  const target = targetOf(a);
  const opts = {
    target,
    intervalMs: a.interval,
    durationS: a.duration,
    events: a.events,
    threads: a.threads,
    inflightEntries: a['inflight-entries'],
    ringBytes: Math.round(a['ring-mb'] * 1024 * 1024),
  };
  const run = new TraceRun(opts);
  const { stdout: _s, ...targetJson } = target as typeof target & { stdout?: string };
  const writer = await RecordingWriter.create(
    a.output,
    baseHeader('trace', { target: targetJson, intervalMs: opts.intervalMs, durationS: opts.durationS, threads: opts.threads, inflightEntries: opts.inflightEntries, ringBytes: opts.ringBytes }, a.events),
    { fd: openRecordingOutput(a.output, out) },
  );
  const progress = new Progress(writer);
  run.on('interval', (s: Summary, snap: NativeSnapshot) => {
    writer.interval({ ktimeNs: snap.ktimeNs, summary: s, snapshot: snapshotToJson(snap) });
    if (a.json) writeLine(s);
    progress.interval(s);
  });
  if (a.events) run.on('events', (b) => writer.events(b.buffer));

  const ended = new Promise<TraceEnd>((resolve) => run.once('end', resolve));
  stopTraceOnSignal(run);
  await startRecorded(writer, a, () => run.start());
  const end = await ended;
  writer.end({ ktimeNs: ktimeNow(), reason: end.reason, exitCode: end.exitCode, summary: end.summary });
  await writer.close();
  progress.done();
  if (a.json) writeLine(end.summary);
  doneLine(writer, end.summary, a.json);
  return end.reason === 'command-exit' ? (end.exitCode ?? 0) : 0;
}

function emptyEnd(a: { events?: boolean }): Summary {
  return { type: 'summary', durationNs: 0, requests: {}, failLinks: 0, reqFailed: 0, cqOverflows: 0, asyncPunts: 0, pollArms: 0,
    taskWork: { adds: 0, runs: 0, localRuns: 0 }, enter: { calls: 0, toSubmit: 0, timeNs: 0 },
    ctxSwitches: { voluntary: 0, involuntary: 0, offCpuNs: 0, onCpuNs: 0, byThread: {
      app: { voluntary: 0, involuntary: 0, offCpuNs: 0, onCpuNs: 0 },
      sqpoll: { voluntary: 0, involuntary: 0, offCpuNs: 0, onCpuNs: 0 },
      iowq: { voluntary: 0, involuntary: 0, offCpuNs: 0, onCpuNs: 0 } } },
    drops: 0, untracked: { completions: 0, neverCompleted: 0, evicted: 0 }, ...(a.events ? { events: { received: 0, written: 0 } } : {}) };
}

/** Starts a run; if it cannot start, the file still ends with an end chunk saying why. */
async function startRecorded(writer: RecordingWriter, a: { events?: boolean }, start: () => Promise<void>): Promise<void> {
  try {
    await start();
  } catch (e) {
    writer.end({ ktimeNs: ktimeNow(), reason: 'error', summary: emptyEnd(a), error: (e as Error).message });
    await writer.close().catch(() => undefined);
    throw e;
  }
}

/**
 * An engine run (a workload run, a replay) written to a recording: every
 * interval, the request records when asked, and the end with the engine's
 * object. The caller adds its own output and signal handling.
 */
export class EngineRecording {
  private constructor(
    readonly writer: RecordingWriter,
    private readonly run: EngineProcess,
    private readonly events: boolean,
  ) {}

  static async create(
    run: EngineProcess, output: string, out: OutputOptions, mode: 'run' | 'replay', config: Record<string, unknown>, events: boolean,
  ): Promise<EngineRecording> {
    const writer = await RecordingWriter.create(output, baseHeader(mode, config, events), { fd: openRecordingOutput(output, out) });
    if (events) run.on('events', (b) => writer.events(b.buffer));
    // The cumulative snapshot too, as for a trace: `view` draws the latency
    // histogram from it, and a cut file recovers an exact summary.
    run.on('interval', (s, snap) => writer.interval({ ktimeNs: snap.ktimeNs, summary: s, snapshot: snapshotToJson(snap) }));
    return new EngineRecording(writer, run, events);
  }

  /** Starts the run; if it cannot start, the file still ends with an end chunk saying why. */
  start(): Promise<void> {
    return startRecorded(this.writer, { events: this.events }, () => this.run.start());
  }

  async finish(end: RunEnd): Promise<void> {
    this.writer.end({ ktimeNs: ktimeNow(), reason: end.engine?.stopReason ?? 'error', summary: end.summary, error: end.error });
    await this.writer.close();
  }

  /** The closing line on stderr. */
  done(s: Summary, json: boolean): void {
    doneLine(this.writer, s, json);
  }
}

async function recordRun(a: RecordArgs, out: OutputOptions): Promise<number> {
  if (a.threads) throw new UserError('--threads is a trace option; a workload run has none', 2);
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
  const o = runOutcome(end.engine, { name: spec.name, strategy: a.strategy, stepBudget: a['step-budget'] ?? defaultStepBudget(spec, a) });
  if (o.message) process.stderr.write(`uringscope: ${o.message}\n`);
  return o.exitCode;
}
