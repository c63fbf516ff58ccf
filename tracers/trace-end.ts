// How a trace ended, in one shape for every place that says it: trace's
// summary line and stderr note, record's end chunk, report. A traced command
// that dies mid-run (killed by a signal) is an ending like any other: the
// summary is whole up to its death, and says so.

/** Why a trace ended (TraceRun's 'end' event, the end chunk of a recording). */
export type EndReason = 'duration' | 'command-exit' | 'targets-exited' | 'stopped' | 'signal';

export interface TraceEnded {
  reason: EndReason;
  /** Exit status of the command we started (killed by a signal: 128 + signo). */
  exitCode?: number;
  /** The signal that killed the command we started. */
  signal?: string;
}

export function traceEnded(end: { reason: EndReason; exitCode?: number; exitSignal?: string }): TraceEnded {
  const e: TraceEnded = { reason: end.reason };
  if (end.reason === 'command-exit') {
    if (end.exitCode !== undefined) e.exitCode = end.exitCode;
    if (end.exitSignal) e.signal = end.exitSignal;
  }
  return e;
}

/** One phrase: "command was killed by SIGKILL (status 137)", "duration reached", ... */
export function endedNote(e: TraceEnded): string {
  switch (e.reason) {
    case 'command-exit':
      return e.signal ? `command was killed by ${e.signal} (status ${e.exitCode})` : `command exited with status ${e.exitCode}`;
    case 'targets-exited':
      return 'every traced process has exited';
    case 'duration':
      return 'duration reached';
    case 'signal':
      return 'stopped by a signal';
    default:
      return 'stopped';
  }
}
