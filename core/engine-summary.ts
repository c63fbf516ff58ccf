// The `engine` block of a workload run's summary (Summary.engine): what
// workloads/engine.ts engineSummary() makes from the engine's JSON
// (native/engine/main.cc, core/engine-result.ts) and what recordings store. One type,
// so readers of a summary stop casting it to shapes of their own. Files
// written by older versions may lack fields: readers of recordings still
// check what they use.
import type { Strategy } from './strategy.js';

export type EngineStopReason = 'completed' | 'duration' | 'signal' | 'budget' | 'stalled';

/**
 * What the engine reports (native/engine/main.cc's JSON, core/engine-result.ts
 * EngineResult) and the summary passes on as it is: written once, so the two
 * shapes cannot drift apart. engineSummary() copies these by destructuring
 * the engine-only fields away, not field by field.
 */
export interface EngineTotals {
  strategy: Strategy;
  chains: number;
  chainsFailed: number;
  chainsInterrupted: number;
  steps: number;
  resubmits: number;
  cancelled: number;
  retries: number;
  bytes: number;
  wallNs: number;
  cpuNs: number;
  processCpuNs: number;
  enterCalls: number;
  ctxSwitches: { voluntary: number; involuntary: number };
  requests: Record<string, { submitted: number; completed: number }>;
  stopReason: EngineStopReason;
  /** Not in a replay: its reads share scratch buffers. */
  readChecksum?: string;
  /** Not in a replay: scratch files stand in for the recorded ones. */
  files?: Record<string, { size: number; checksum: string }>;
}

/**
 * stopReason 'stalled' under link or user: what the run was waiting for when
 * nothing had completed for 10 s (native/engine/stall_watch.h). Times are
 * nanoseconds into the run.
 */
export interface EngineStall {
  quietSinceNs: number;
  quietForNs: number;
  /** Requests still in the kernel, by io_uring op name. */
  inFlight: Record<string, number>;
  /** Chains waiting on them, and the earliest started of those. */
  chains: number;
  oldestChain: number;
  oldestChainStartNs: number;
}

export interface EngineSummary extends EngineTotals {
  stall?: EngineStall;
  chainLatencyNs: { p50: number; p99: number; max: number };
  /** Strategy bpf or a C policy: the policy's numbers (workloads/engine.ts policySummary). */
  policy?: Record<string, unknown>;
  /** A replay: how the replayed requests compare with the recording's (recording/replay-run.ts replayInfo). */
  replay?: Record<string, unknown>;
}
