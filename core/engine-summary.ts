// The `engine` block of a workload run's summary (Summary.engine): what
// workloads/engine.ts engineSummary() makes from the engine's JSON
// (native/engine/main.cc, EngineResult) and what recordings store. One type,
// so readers of a summary stop casting it to shapes of their own. Files
// written by older versions may lack fields: readers of recordings still
// check what they use.
import type { Strategy } from './strategy.js';

export type EngineStopReason = 'completed' | 'duration' | 'signal' | 'budget' | 'stalled';

export interface EngineSummary {
  strategy: Strategy;
  chains: number;
  chainsFailed: number;
  chainsInterrupted: number;
  steps: number;
  resubmits: number;
  cancelled: number;
  retries: number;
  bytes: number;
  /** Not in a replay: its reads share scratch buffers. */
  readChecksum?: string;
  wallNs: number;
  cpuNs: number;
  processCpuNs: number;
  enterCalls: number;
  ctxSwitches: { voluntary: number; involuntary: number };
  chainLatencyNs: { p50: number; p99: number; max: number };
  requests: Record<string, { submitted: number; completed: number }>;
  /** Not in a replay: scratch files stand in for the recorded ones. */
  files?: Record<string, { size: number; checksum: string }>;
  stopReason: EngineStopReason;
  /** Strategy bpf or a C policy: the policy's numbers (workloads/engine.ts policySummary). */
  policy?: Record<string, unknown>;
  /** A replay: how the replayed requests compare with the recording's (workloads/replay-run.ts replayInfo). */
  replay?: Record<string, unknown>;
}
