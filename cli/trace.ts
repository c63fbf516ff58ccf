// `uringscope trace`: the headless tracer. Human tables per interval or
// NDJSON (--json) in the contract's shape, a final summary on exit.
import type { Argv } from 'yargs';
import type { RequestEvent } from '../tracers/layout.js';
import { native } from '../tracers/native.js';
import { opName, type Summary } from '../tracers/summary.js';
import { TraceRun, type TargetSpec, type TraceEnd } from '../tracers/trace-run.js';
import { UserError } from '../tracers/errors.js';
import { renderSummary } from './summary-table.js';
import { writeLine } from './output.js';
import { stopTraceOnSignal } from './signals.js';
import { checkDuration, checkInflightEntries, checkInterval, checkRingMb } from './flag-bounds.js';

export interface TraceArgs {
  pid?: number[];
  comm?: string;
  interval: number;
  duration?: number;
  events: boolean;
  json: boolean;
  threads: boolean;
  'inflight-entries': number;
  'ring-mb': number;
  '--'?: (string | number)[];
}

/** The options of `trace` (shared with `record`). */
export function traceOptions(y: Argv): Argv {
  return y
    .option('pid', { type: 'number', array: true, alias: 'p', describe: 'trace these process ids (repeatable)' })
    .option('comm', { type: 'string', describe: 'trace processes with this name (15 chars), now and as they start' })
    .option('interval', { type: 'number', default: 1000, describe: 'milliseconds between interval reports' })
    .option('duration', { type: 'number', alias: 'd', describe: 'stop after this many seconds' })
    .option('events', { type: 'boolean', default: false, describe: 'stream every request (NDJSON "event" lines with --json)' })
    .option('json', { type: 'boolean', default: false, describe: 'NDJSON: "interval" lines and a final "summary" line' })
    .option('threads', { type: 'boolean', default: false, describe: 'per-thread context switches in summaries' })
    .option('inflight-entries', { type: 'number', default: 65536, describe: 'requests timed at once (in-kernel table size)' })
    .option('ring-mb', { type: 'number', default: 16, describe: 'event ring buffer size in MiB (power of two)' });
}

/** The argument checks of `trace` (shared with `record`). */
export function checkTraceArgs(a: Partial<TraceArgs>): true {
  const n = (a.pid?.length ? 1 : 0) + (a.comm ? 1 : 0) + ((a['--'] as unknown[] | undefined)?.length ? 1 : 0);
  if (n !== 1) throw new UserError('give exactly one target: --pid N, --comm NAME or -- CMD ARGS...', 2);
  checkInterval(a.interval);
  checkDuration(a.duration, true);
  checkInflightEntries(a['inflight-entries']);
  checkRingMb(a['ring-mb']);
  if (a.pid?.some((p) => !Number.isInteger(p) || p <= 0)) throw new UserError('--pid takes positive integer process ids', 2);
  return true;
}

export function traceBuilder(y: Argv): Argv<TraceArgs> {
  return traceOptions(
    y.usage('$0 trace (--pid N | --comm NAME | -- CMD ARGS...) [options]\n\nTrace the io_uring activity of any process: all its threads (app, iou-sqp-*, iou-wrk-*) and the processes it forks.'),
  )
    .example('$0 trace -- fio job.fio', 'start fio and trace it until it exits')
    .example('$0 trace --pid 1234 --duration 10 --json', 'ten seconds of a running process, as NDJSON')
    .check((a) => checkTraceArgs(a as Partial<TraceArgs>)) as unknown as Argv<TraceArgs>;
}

export function targetOf(a: TraceArgs): TargetSpec {
  if (a.pid?.length) return { kind: 'pids', pids: a.pid };
  if (a.comm) return { kind: 'comm', comm: a.comm };
  const cmd = (a['--'] ?? []).map(String);
  if (!cmd.length) throw new UserError('no command given after --', 2);
  return { kind: 'command', cmd: cmd[0], args: cmd.slice(1), stdout: a.json ? 'stderr' : 'inherit' };
}

function eventJson(e: RequestEvent, names: readonly string[]): Record<string, unknown> {
  return {
    type: 'event',
    op: opName(names, e.opcode),
    submitNs: e.submitNs,
    completeNs: e.completeNs,
    latencyNs: e.latencyNs,
    tgid: e.tgid,
    submitTid: e.submitTid,
    completeTid: e.completeTid,
    ctx: '0x' + e.ctx.toString(16),
    userData: e.userData.toString(),
    fd: e.fd,
    off: Number(e.off),
    len: e.len,
    res: e.res,
    cflags: e.cflags,
    sqeFlags: e.sqeFlags,
    more: e.type === 1,
  };
}

function endNote(end: TraceEnd): string {
  switch (end.reason) {
    case 'command-exit':
      return `command exited with status ${end.exitCode}`;
    case 'targets-exited':
      return 'every traced process has exited';
    case 'duration':
      return 'duration reached';
    default:
      return 'stopped';
  }
}

/** Runs the tracer until it ends; resolves to the process exit code. */
export async function runTrace(a: TraceArgs): Promise<number> {
  const run = new TraceRun({
    target: targetOf(a),
    intervalMs: a.interval,
    durationS: a.duration,
    events: a.events,
    threads: a.threads,
    inflightEntries: a['inflight-entries'],
    ringBytes: Math.round(a['ring-mb'] * 1024 * 1024),
  });
  const names = native().opNames();
  let elapsedNs = 0;

  run.on('interval', (s: Summary) => {
    elapsedNs += s.durationNs;
    if (a.json) writeLine(s);
    else process.stdout.write(renderSummary(s, `+${(elapsedNs / 1e9).toFixed(1)}s`) + '\n');
  });
  if (a.events && a.json) {
    run.on('events', (b) => {
      for (let i = 0; i < b.count; i++) writeLine(eventJson(b.at(i), names));
    });
  }

  const ended = new Promise<TraceEnd>((resolve) => run.once('end', resolve));
  stopTraceOnSignal(run);

  await run.start();
  if (!a.json) {
    const what = run.pid ? `pid ${run.pid}` : run.targets().join(', ') || `comm ${a.comm}`;
    process.stderr.write(`uringscope: tracing ${what}; Ctrl-C to stop\n`);
  }
  const end = await ended;
  if (a.json) writeLine(end.summary);
  else {
    process.stdout.write(renderSummary(end.summary, 'summary') + '\n');
    process.stderr.write(`uringscope: ${endNote(end)}\n`);
  }
  return end.reason === 'command-exit' ? (end.exitCode ?? 0) : 0;
}
