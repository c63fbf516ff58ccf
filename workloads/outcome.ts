// How a workload run ended, decided once: the note the TUI shows, the exit
// status and the line `run`/`record` print. Every command that runs the
// engine reads this instead of checking stopReason and chainsFailed itself
// (they drifted: `record` once had no step-budget branch).
import { errnoName } from '../core/errno.js';
import type { Strategy } from '../core/strategy.js';
import type { EngineResult } from './engine.js';

export interface RunOutcome {
  /** A few words for a status line: "finished: 100 chains", "duration reached". */
  note: string;
  /** 0 when the run did what was asked, 1 when it stopped on a budget or a stall, or chains failed. */
  exitCode: 0 | 1;
  /** Why the exit code is 1, one line for stderr (without the "uringscope: " prefix). */
  message?: string;
}

export interface RunContext {
  /** The workload's name. */
  name: string;
  strategy: Strategy;
  /** The step budget the run had (shown when it was spent). */
  stepBudget: number;
  /** The chains asked for (absent for a run of fixed duration). */
  chains?: number;
}

/** `e` is undefined when the engine gave no result (it failed to start or died). */
export function runOutcome(e: EngineResult | undefined, ctx: RunContext): RunOutcome {
  if (!e) return { note: 'failed', exitCode: 1 };
  const note = endNote(e);
  if (e.stopReason === 'budget') {
    const who = ctx.strategy === 'bpf' ? 'BPF ' : '';
    return {
      note, exitCode: 1,
      message: `the ${who}policy reached its step budget (${ctx.stepBudget} steps) and was stopped: raise --step-budget if that is expected`,
    };
  }
  if (e.stopReason === 'stalled') {
    const who = ctx.strategy === 'bpf' ? 'BPF ' : '';
    const of = ctx.chains ? ` of ${ctx.chains}` : '';
    const failed = e.chainsFailed > 0 ? `; ${e.chainsFailed} failed (first error ${errnoName(e.firstError)})` : '';
    return {
      note, exitCode: 1,
      message: `the ${who}policy stalled after ${e.chains}${of} chains: nothing completed for 10 s, so the run was stopped${failed} (does a chain end without issuing a request, or wait on one that never completes?)`,
    };
  }
  if (e.chainsFailed > 0) {
    return { note, exitCode: 1, message: `${e.chainsFailed} chains of ${ctx.name} failed (first error ${errnoName(e.firstError)})` };
  }
  return { note, exitCode: 0 };
}

function endNote(e: EngineResult): string {
  switch (e.stopReason) {
    case 'completed': return `finished: ${e.chains} chains`;
    case 'duration': return 'duration reached';
    case 'budget': return 'stopped: the policy spent its step budget';
    case 'stalled': return `STALLED after ${e.chains} chains: no progress for 10 s`;
    default: return 'stopped';
  }
}
