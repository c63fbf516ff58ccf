// What the checks read from a run's output, and how a check says what differed.
import type { EngineSummary } from '../../core/engine-summary.js';
import type { Summary } from '../../tracers/summary.js';

/** The last summary line of a --json run. */
export function summaryOf(out: string): Summary {
  const lines = out.trim().split('\n').filter((l) => l.startsWith('{'));
  const s = lines.map((l) => JSON.parse(l) as Summary).reverse().find((o) => o.type === 'summary');
  if (!s) throw new Error('no summary line in the output');
  return s;
}

/** The last non-empty line: what a failed run said last (its error). */
export function firstLine(s: string): string {
  return s.trim().split('\n').filter(Boolean).pop() ?? '';
}

export function expectEq(what: string, got: unknown, want: unknown): void {
  if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`${what}: got ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
}

/** The summary's engine block, with the policy numbers (open in EngineSummary) these checks read. */
export type EngineView = EngineSummary & { policy?: { path?: string; loopSteps?: number; stats?: Record<string, number> } };

/** What must be identical whichever strategy or path ran a workload. */
export function outcomeOf(e: EngineView) {
  return { chains: e.chains, failed: e.chainsFailed, steps: e.steps, bytes: e.bytes, readChecksum: e.readChecksum, files: e.files };
}

/**
 * The ops path's promise, on the tracer's figures of the same run: a handful
 * of io_uring_enter per ring for the whole run, and no SQPOLL thread at all.
 */
export function opsShape(label: string, s: Summary, rings: number): void {
  const e = s.engine as EngineView;
  if (!(e.enterCalls !== undefined && e.enterCalls >= rings && e.enterCalls <= 4 * rings)) {
    throw new Error(`${label}: ${e.enterCalls} io_uring_enter for ${rings} ring(s), expected 1-4 each`);
  }
  const sq = s.ctxSwitches.byThread.sqpoll;
  expectEq(`${label}: SQPOLL thread activity`, [sq.voluntary, sq.involuntary, sq.onCpuNs], [0, 0, 0]);
}
