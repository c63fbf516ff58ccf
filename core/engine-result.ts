// What the native engine reports about a run (native/engine/main.cc's JSON)
// as TS code sees it, before workloads/engine.ts engineSummary() makes the
// summary's `engine` block of it. Types only: the engine runner, the TUI
// and recordings all read them, and none of them needs the runner for that.
import type { EngineStall, EngineTotals } from './engine-summary.js';

/** Which path the bpf strategy ran, as the engine's summary names it (engine.policy.path; workloads/bpf-path.ts chooses it). */
export type BpfPath = 'ops' | 'map-backed-sqpoll';

/** What the engine reports about itself (native/engine/main.cc): the totals the summary passes on, and its own detail. */
export interface EngineResult extends Required<EngineTotals> {
  type: 'engine';
  /** Strategy bpf: which path ran. */
  bpfPath?: BpfPath;
  firstError: number;
  chainLatencyMaxNs: number;
  chainLatencyHist: [number, number][];
  /** Strategy bpf: the in-kernel policy's counters (bpf/policy.h). */
  policy?: Record<string, number>;
  /** A replay: records in its table, requests issued, and those whose result differs from the recorded one. */
  replay?: { requests: number; issued: number; resultsDiffer: number };
  /** stopReason 'stalled' under link or user: what the run waited for. */
  stall?: EngineStall;
}

export type EngineProgress = Pick<EngineResult, 'chains' | 'steps' | 'bytes' | 'resubmits' | 'cancelled' | 'enterCalls' | 'policy'>;

/** A record a C policy sent with us_emit() (the engine passes the first 1000 on). */
export interface PolicyEmit {
  chain: number;
  kind: number;
  a: number;
  b: number;
}
