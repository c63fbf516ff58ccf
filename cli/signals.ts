// How each kind of command ends on Ctrl-C / SIGTERM / SIGHUP, in one place.
import { EXIT_SECOND_SIGNAL } from '../core/exit-codes.js';
import type { EngineProcess } from '../workloads/engine.js';
import type { TraceRun } from '../tracers/trace-run.js';

/**
 * A trace stops at once and reports; a command we started gets the same
 * signal, so it does not run on untraced.
 */
export function stopTraceOnSignal(run: TraceRun): void {
  const onSignal = (sig: NodeJS.Signals) => {
    run.signalChild(sig);
    run.stop('signal');
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(sig, onSignal);
}

/**
 * A workload run or a replay: the first signal asks the engine to cancel what is in
 * flight, reap it and report; a second one does not wait, and takes the
 * engine and its scratch files with it rather than leave them running.
 * SIGHUP (the terminal closed, or a supervisor's stop) ends it the same
 * way: its default action would exit 129 with no summary and a recording
 * without its end chunk.
 */
export function stopRunOnSignal(run: EngineProcess): void {
  let signals = 0;
  const onSignal = () => {
    if (++signals > 1) {
      run.abort();
      process.exit(EXIT_SECOND_SIGNAL);
    }
    run.stop();
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, onSignal);
}

/**
 * `serve` runs until Ctrl-C / SIGTERM / SIGHUP (systemd stops it with
 * SIGTERM): it then stops serving and detaches every BPF program. A second
 * signal does not wait.
 */
export function stopServeOnSignal(stop: (sig: NodeJS.Signals) => void): void {
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    if (++signals > 1) process.exit(EXIT_SECOND_SIGNAL);
    stop(sig);
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, onSignal);
}
