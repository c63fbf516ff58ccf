// The engine block of a human run summary, shared by `run` and `replay`.
import { fmtCount, fmtNs, fmtRatio } from '../core/units.js';
import type { Summary } from '../tracers/summary.js';

/** The engine block of a human summary (shared with `replay`). */
export function engineLines(s: Summary): string {
  const e = s.engine!;
  const perStep = (n: number) => fmtRatio(n, e.steps, 3);
  return [
    `── engine (${e.strategy}) ${'─'.repeat(50)}`,
    `  chains ${fmtCount(e.chains)}${e.stopReason === 'completed' ? '' : ` (${e.stopReason.toUpperCase()})`}  steps ${fmtCount(e.steps)}  ${fmtCount(e.steps / (e.wallNs / 1e9))} steps/s  bytes ${fmtCount(e.bytes)}  failed ${e.chainsFailed}`,
    `  resubmits ${fmtCount(e.resubmits)}  cancelled ${fmtCount(e.cancelled)}  retries ${fmtCount(e.retries)}  chain p50 ${fmtNs(e.chainLatencyNs.p50)} p99 ${fmtNs(e.chainLatencyNs.p99)}`,
    `  per step: io_uring_enter ${perStep(s.enter.calls)}  voluntary switches ${perStep(s.ctxSwitches.byThread.app.voluntary)}  cpu ${fmtNs(e.cpuNs / Math.max(1, e.steps))}`,
  ].join('\n');
}
