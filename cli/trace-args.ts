// The trace arguments `trace` and `record` share: the options, their checks
// and the target they name. Not a command (see cli/run-args.ts).
import type { Argv } from 'yargs';
import { EXIT_USAGE } from '../core/exit-codes.js';
import { UserError } from '../core/user-error.js';
import type { TargetSpec, TraceRunOptions } from '../tracers/trace-run.js';
import { checkComm, checkDuration, checkInflightEntries, checkInterval, checkPids, checkRingMb } from './flag-bounds.js';

export interface TraceArgs {
  pid?: number[];
  comm?: string;
  interval: number;
  duration?: number;
  events: boolean;
  json: boolean;
  threads: boolean;
  anatomy: boolean;
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
    .option('anatomy', { type: 'boolean', default: false, describe: "each request's path (inline, poll, io-wq, block IO, queued) and latency phases, per opcode" })
    .option('inflight-entries', { type: 'number', default: 65536, describe: 'requests timed at once (in-kernel table size)' })
    .option('ring-mb', { type: 'number', default: 16, describe: 'event ring buffer size in MiB (power of two)' });
}

/** The argument checks of `trace` (shared with `record`). */
export function checkTraceArgs(a: Partial<TraceArgs>): true {
  checkComm(a.comm); // an empty one says so, not "give exactly one target"
  const n = (a.pid?.length ? 1 : 0) + (a.comm !== undefined ? 1 : 0) + ((a['--'] as unknown[] | undefined)?.length ? 1 : 0);
  if (n !== 1) throw new UserError('give exactly one target: --pid N, --comm NAME or -- CMD ARGS...', EXIT_USAGE);
  checkInterval(a.interval);
  checkDuration(a.duration, true);
  checkInflightEntries(a['inflight-entries']);
  checkRingMb(a['ring-mb']);
  checkPids(a.pid);
  return true;
}

function targetOf(a: TraceArgs): TargetSpec {
  if (a.pid?.length) return { kind: 'pids', pids: a.pid };
  if (a.comm) return { kind: 'comm', comm: a.comm };
  const cmd = (a['--'] ?? []).map(String);
  if (!cmd.length) throw new UserError('no command given after --', EXIT_USAGE);
  return { kind: 'command', cmd: cmd[0], args: cmd.slice(1), stdout: a.json ? 'stderr' : 'inherit' };
}

/** What `trace` and `record` hand the tracer: the target and the options above, in its units. */
export function traceRunOptions(a: TraceArgs): TraceRunOptions {
  return {
    target: targetOf(a),
    intervalMs: a.interval,
    durationS: a.duration,
    events: a.events,
    threads: a.threads,
    anatomy: a.anatomy,
    inflightEntries: a['inflight-entries'],
    ringBytes: Math.round(a['ring-mb'] * 1024 * 1024),
  };
}
