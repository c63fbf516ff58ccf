// `uringscope trace`: the headless tracer. Human tables per interval or
// NDJSON (--json) in the contract's shape, a final summary on exit.
import type { Argv } from 'yargs';
import { EXIT_OK } from '../core/exit-codes.js';
import type { RequestEvent } from '../tracers/layout.js';
import { native } from '../tracers/native.js';
import { opName, type Summary } from '../tracers/summary.js';
import { TraceRun, type TraceEnd } from '../tracers/trace-run.js';
import { endedNote, traceEnded } from '../tracers/trace-end.js';
import { renderSummary } from './summary-table.js';
import { writeLine } from './output.js';
import { stopTraceOnSignal } from './signals.js';
import { checkTraceArgs, traceOptions, traceRunOptions, type TraceArgs } from './trace-args.js';


export function traceBuilder(y: Argv): Argv<TraceArgs> {
  return traceOptions(
    y.usage('$0 trace (--pid N | --comm NAME | -- CMD ARGS...) [options]\n\nTrace the io_uring activity of any process: all its threads (app, iou-sqp-*, iou-wrk-*) and the processes it forks.'),
  )
    .example('$0 trace -- fio job.fio', 'start fio and trace it until it exits')
    .example('$0 trace --pid 1234 --duration 10 --json', 'ten seconds of a running process, as NDJSON')
    .check((a) => checkTraceArgs(a as Partial<TraceArgs>)) as unknown as Argv<TraceArgs>;
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

/** Runs the tracer until it ends; resolves to the process exit code. */
export async function runTrace(a: TraceArgs): Promise<number> {
  const run = new TraceRun(traceRunOptions(a));
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
  const how = traceEnded(end);
  if (a.json) writeLine({ ...end.summary, ended: how });
  else {
    process.stdout.write(renderSummary(end.summary, 'summary') + '\n');
    process.stderr.write(`uringscope: ${endedNote(how)}\n`);
  }
  return end.reason === 'command-exit' ? (end.exitCode ?? EXIT_OK) : EXIT_OK;
}
