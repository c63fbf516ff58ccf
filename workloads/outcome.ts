// How a workload run ended, decided once: the note the TUI shows, the exit
// status and the line `run`/`record` print. Every command that runs the
// engine reads this instead of checking stopReason and chainsFailed itself
// (they drifted: `record` once had no step-budget branch).
import { EXIT_FAILURE, EXIT_OK } from '../core/exit-codes.js';
import { errnoName } from '../core/errno.js';
import type { Strategy } from '../core/strategy.js';
import type { EngineStall } from '../core/engine-summary.js';
import type { EngineResult } from '../core/engine-result.js';

export interface RunOutcome {
  /** A few words for a status line: "finished: 100 chains", "duration reached". */
  note: string;
  /** 0 when the run did what was asked, 1 when it stopped on a budget or a stall, or chains failed. */
  exitCode: typeof EXIT_OK | typeof EXIT_FAILURE;
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
  /** A C policy drives the chains (--policy). */
  policy?: boolean;
}

/** `e` is undefined when the engine gave no result (it failed to start or died). */
export function runOutcome(e: EngineResult | undefined, ctx: RunContext): RunOutcome {
  if (!e) return { note: 'failed', exitCode: EXIT_FAILURE };
  const note = endNote(e);
  if (e.stopReason === 'budget') {
    const who = ctx.strategy === 'bpf' ? 'BPF ' : '';
    return {
      note, exitCode: EXIT_FAILURE,
      message: `the ${who}policy reached its step budget (${ctx.stepBudget} steps) and was stopped: raise --step-budget if that is expected`,
    };
  }
  if (e.stopReason === 'stalled') {
    const who = ctx.strategy === 'bpf' ? 'BPF policy' : ctx.policy ? 'policy' : 'run';
    const of = ctx.chains ? ` of ${ctx.chains}` : '';
    const failed = e.chainsFailed > 0 ? `; ${e.chainsFailed} failed (first error ${errnoName(e.firstError)})` : '';
    const waited = e.stall ? stallDetail(e.stall) : 'nothing completed for 10 s';
    return {
      note, exitCode: EXIT_FAILURE,
      message: `the ${who} stalled after ${e.chains}${of} chains: ${waited}, so the run was stopped${failed} (does a chain end without issuing a request, or wait on one that never completes?)`,
    };
  }
  if (e.chainsFailed > 0) {
    return { note, exitCode: EXIT_FAILURE, message: `${e.chainsFailed} chains of ${ctx.name} failed (first error ${errnoName(e.firstError)})` };
  }
  return { note, exitCode: EXIT_OK };
}

/** What a stalled link/user run waited for, in a few words: "nothing completed for 10.0 s (since 2.1 s into the run) while 16 requests were in flight (16 READ) for 16 chains, the oldest chain 212 from 1.9 s". */
function stallDetail(s: EngineStall): string {
  const sec = (ns: number) => `${(ns / 1e9).toFixed(1)} s`;
  const ops = Object.entries(s.inFlight).filter(([, n]) => n > 0);
  const n = ops.reduce((a, [, k]) => a + k, 0);
  const requests = n === 0 ? 'no request was in flight' : `${n} ${n === 1 ? 'request was' : 'requests were'} in flight (${ops.map(([op, k]) => `${k} ${op}`).join(', ')})`;
  const chains = s.chains === 1 ? `for chain ${s.oldestChain} (from ${sec(s.oldestChainStartNs)})` : `for ${s.chains} chains, the oldest chain ${s.oldestChain} from ${sec(s.oldestChainStartNs)}`;
  return `nothing completed for ${sec(s.quietForNs)} (since ${sec(s.quietSinceNs)} into the run) while ${requests} ${chains}`;
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
