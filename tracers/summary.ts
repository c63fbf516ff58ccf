// Turns tracer snapshots into the summary/interval objects of the JSON
// contract in docs/contract.md. Snapshots are cumulative since attach; an
// interval is the difference of two.
import type {
  NativeCounters, NativeOpStats, NativeOpsProgram, NativePhases, NativeDist, NativeSnapshot, NativeThread, PathName, PhaseName, ThreadKind,
} from '../native/index.js';
import { ABI } from '../core/abi.js';
import { histDiff, histUpperBound, quantile } from './histogram.js';
import type { EngineSummary } from '../core/engine-summary.js';
import type { TraceEnded } from './trace-end.js';

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface OpSummary {
  submitted: number;
  completed: number;
  errors: number;
  cancelled: number;
  latencyNs: LatencySummary;
  /** trace --anatomy: how the requests went through io_uring (docs/contract.md). */
  anatomy?: OpAnatomy;
}

export interface OpAnatomy {
  /** Requests (with a measured latency) by the path their issue took; one may take several. */
  paths?: Record<PathName, number>;
  /** The requests whose phases were followed from submit, and the sum of their latencies, which the phases' sums add up to. */
  timed?: { requests: number; ns: number };
  /** Where their latency went: each phase's requests (those that spent time in it), sum and distribution. */
  phases?: Record<PhaseName, PhaseSummary>;
}

export interface PhaseSummary extends LatencySummary {
  sumNs: number;
}

export interface SwitchCounts {
  voluntary: number;
  involuntary: number;
  offCpuNs: number;
  onCpuNs: number;
}

export interface ThreadSummary extends SwitchCounts {
  tid: number;
  tgid: number;
  kind: ThreadKind;
  comm: string;
  enterCalls: number;
  /** io_uring_enter calls that waited for CQEs, and the thread's off-CPU time inside them (absent in older recordings). */
  waits?: number;
  waitNs?: number;
}

/** io_uring_enter calls that waited for CQEs: their off-CPU time, and what ended them. */
export interface WaitSummary {
  count: number;
  offCpuNs: number;
  /** io_uring_enter returned >= 0 (CQEs, or its submit count), -ETIME, a signal, another error. */
  ended: { events: number; timeout: number; signal: number; error: number };
}

export interface Summary {
  type: 'summary' | 'interval';
  durationNs: number;
  /** trace/record's final line: how the trace ended (tracers/trace-end.ts). */
  ended?: TraceEnded;
  requests: Record<string, OpSummary>;
  failLinks: number;
  reqFailed: number;
  cqOverflows: number;
  asyncPunts: number;
  pollArms: number;
  taskWork: { adds: number; runs: number; localRuns: number };
  enter: { calls: number; toSubmit: number; timeNs: number };
  /** Absent in recordings made before waits were counted. */
  waits?: WaitSummary;
  /**
   * trace --anatomy: reap, from the last CQE posted while a thread waited in
   * io_uring_enter to the call's return, the application then holding them.
   */
  reap?: PhaseSummary;
  ctxSwitches: SwitchCounts & { byThread: Record<ThreadKind, SwitchCounts> };
  threads?: ThreadSummary[];
  /** Event records lost (kernel ring buffer full, or JS not draining). */
  drops: number;
  events?: { received: number; written: number };
  /**
   * Requests the tracer saw only in part: completions before attach, never-completed submits.
   * `processes`: processes left untraced because the targets table was full; `threadEvents`:
   * switches and syscalls not counted because the threads table was full (absent in
   * recordings made before they were counted).
   */
  untracked: { completions: number; neverCompleted: number; evicted: number; processes?: number; threadEvents?: number };
  /** A workload run: the engine's numbers (core/engine-summary.ts). */
  engine?: EngineSummary;
  /**
   * Figures this kernel cannot give, each with the reason (a missing
   * tracepoint, other arguments, a verifier refusal). The fields they feed
   * are left out of the JSON (see forJson); the rest is measured as usual.
   */
  absent?: Record<string, string>;
  /**
   * Present when a traced ring is driven by an io_uring_bpf_ops (Linux 7.1+).
   */
  bpfOps?: BpfOpsSummary;
}

export interface BpfOpsSummary {
  /** Rings with an ops program found (one program per ring). */
  rings: number;
  /** loop_step calls: the programs' own run counts. */
  loopSteps: number;
  /** io_uring_enter calls that ran the loop (io_run_loop). */
  loopRuns: number;
  /** Loop runs that ended with IOU_LOOP_STOP, and with an error. */
  stops: number;
  errors: number;
  /** SQEs submitted by the BPF program (bpf_io_uring_submit_sqes), and every other submitted request. */
  sqesFromBpf: number;
  sqesFromUser: number;
  /** The programs' own run time (BPF run-time statistics), in all. */
  runNs: number;
  programs: { id: number; name: string }[];
}

/** The summary fields each tracer figure feeds (figure names: native/tracer_hooks.cc). */
const FIGURE_FIELDS: Record<string, { top?: (keyof Summary)[]; op?: (keyof OpSummary)[] }> = {
  submitted: { op: ['submitted'] },
  completed: { op: ['completed', 'errors', 'cancelled'] },
  latency: { op: ['latencyNs'] },
  failLinks: { top: ['failLinks'] },
  reqFailed: { top: ['reqFailed'] },
  cqOverflows: { top: ['cqOverflows'] },
  asyncPunts: { top: ['asyncPunts'] },
  pollArms: { top: ['pollArms'] },
  taskWork: { top: ['taskWork'] },
  ctxSwitches: { top: ['ctxSwitches'] },
  enter: { top: ['enter'] },
  waits: { top: ['waits', 'reap'] },
  // Under `anatomy`, each left out by summarize when absent.
  paths: {},
  phases: {},
};

/** Whether `figure` was measured (not in the summary's absent list). */
export function measured(s: Pick<Summary, 'absent'>, figure: string): boolean {
  return !s.absent || !(figure in s.absent);
}

/**
 * The summary as the JSON contract has it: fields that were not measured
 * are absent rather than 0 ("fields absent only when not measured").
 */
export function forJson<T extends Summary>(s: T): T {
  if (!s.absent) return s;
  const out = { ...s } as Record<string, unknown>;
  const opFields: string[] = [];
  for (const figure of Object.keys(s.absent)) {
    const f = FIGURE_FIELDS[figure];
    for (const k of f?.top ?? []) delete out[k];
    opFields.push(...(f?.op ?? []));
  }
  if (opFields.length) {
    const requests: Record<string, Partial<OpSummary>> = {};
    for (const [op, r] of Object.entries(s.requests)) {
      const copy: Record<string, unknown> = { ...r };
      for (const k of opFields) delete copy[k];
      requests[op] = copy as Partial<OpSummary>;
    }
    out.requests = requests;
  }
  return out as T;
}

const ZERO_COUNTERS: NativeCounters = {
  failLink: 0, reqFailed: 0, cqOverflows: 0, asyncPunts: 0, pollArms: 0, taskAdds: 0,
  taskWorkRuns: 0, localWorkRuns: 0, enterCalls: 0, enterToSubmit: 0, enterNs: 0,
  eventDrops: 0, eventsWritten: 0, staleRequests: 0, untracked: 0, evicted: 0,
  auxCqes: 0, rings: 0, targetsDropped: 0, targetsMissed: 0, threadsMissed: 0, opsLoops: 0, opsStops: 0, opsErrors: 0, opsSqes: 0,
  waits: 0, waitNs: 0, waitsEvents: 0, waitsTimeout: 0, waitsSignal: 0, waitsError: 0,
};

/** An all-zero snapshot at `ktimeNs`: the baseline of a fresh tracer. */
export function emptySnapshot(ktimeNs: number): NativeSnapshot {
  return { ktimeNs, eventsReceived: 0, userDrops: 0, counters: { ...ZERO_COUNTERS }, ops: [], threads: [] };
}

/**
 * The maximum over an interval: the kernel keeps a running maximum, exact
 * when it moved in this interval, otherwise bounded by the highest bucket the
 * interval filled.
 */
function maxDelta(cur: number, prev: number, hist: Float64Array): number {
  return cur > prev ? cur : Math.min(cur, histUpperBound(hist));
}

function distDelta(cur: NativeDist, prev: NativeDist | undefined): NativeDist {
  if (!prev) return cur;
  const hist = histDiff(cur.hist, prev.hist);
  return { count: cur.count - prev.count, sumNs: cur.sumNs - prev.sumNs, maxNs: maxDelta(cur.maxNs, prev.maxNs, hist), hist };
}

function phasesDelta(cur: NativePhases, prev: NativePhases | undefined): NativePhases {
  if (!prev) return cur;
  const byPhase = Object.fromEntries(
    (Object.keys(cur.byPhase) as PhaseName[]).map((k) => [k, distDelta(cur.byPhase[k], prev.byPhase[k])]),
  ) as Record<PhaseName, NativeDist>;
  return { requests: cur.requests - prev.requests, timedNs: cur.timedNs - prev.timedNs, byPhase };
}

function opDelta(cur: NativeOpStats, prev: NativeOpStats | undefined): NativeOpStats {
  if (!prev) return cur;
  const hist = histDiff(cur.hist, prev.hist);
  const latMaxNs = maxDelta(cur.latMaxNs, prev.latMaxNs, hist);
  return {
    opcode: cur.opcode,
    submitted: cur.submitted - prev.submitted,
    completed: cur.completed - prev.completed,
    errors: cur.errors - prev.errors,
    cancelled: cur.cancelled - prev.cancelled,
    latCount: cur.latCount - prev.latCount,
    latSumNs: cur.latSumNs - prev.latSumNs,
    latMaxNs,
    ...(cur.paths ? { paths: pathsDelta(cur.paths, prev.paths) } : {}),
    hist,
    ...(cur.phases ? { phases: phasesDelta(cur.phases, prev.phases) } : {}),
  };
}

function pathsDelta(cur: Record<PathName, number>, prev: Record<PathName, number> | undefined): Record<PathName, number> {
  const out = { ...cur };
  if (prev) for (const k of Object.keys(out) as PathName[]) out[k] -= prev[k] ?? 0;
  return out;
}

function threadDelta(cur: NativeThread, prev: NativeThread | undefined): NativeThread {
  if (!prev) return cur;
  return {
    ...cur,
    voluntary: cur.voluntary - prev.voluntary,
    involuntary: cur.involuntary - prev.involuntary,
    offcpuNs: cur.offcpuNs - prev.offcpuNs,
    oncpuNs: cur.oncpuNs - prev.oncpuNs,
    enterCalls: cur.enterCalls - prev.enterCalls,
    enterNs: cur.enterNs - prev.enterNs,
    waits: (cur.waits ?? 0) - (prev.waits ?? 0),
    waitNs: (cur.waitNs ?? 0) - (prev.waitNs ?? 0),
  };
}

/** What happened between two cumulative snapshots. */
export function snapshotDelta(cur: NativeSnapshot, prev: NativeSnapshot): NativeSnapshot {
  const prevOps = new Map(prev.ops.map((o) => [o.opcode, o]));
  const prevThreads = new Map(prev.threads.map((t) => [t.tid, t]));
  const counters = { ...cur.counters };
  for (const k of Object.keys(counters) as (keyof NativeCounters)[]) counters[k] -= prev.counters[k];
  return {
    ktimeNs: cur.ktimeNs,
    eventsReceived: cur.eventsReceived - prev.eventsReceived,
    userDrops: cur.userDrops - prev.userDrops,
    counters,
    ops: cur.ops.map((o) => opDelta(o, prevOps.get(o.opcode))),
    threads: cur.threads.map((t) => threadDelta(t, prevThreads.get(t.tid))),
    ...(cur.reap ? { reap: distDelta(cur.reap, prev.reap) } : {}),
  };
}

export function opName(names: readonly string[], opcode: number): string {
  return names[opcode] || `OP_${opcode}`;
}

function distribution(count: number, hist: Float64Array, maxNs: number): LatencySummary {
  return {
    count,
    p50: quantile(hist, 0.5, maxNs),
    p90: quantile(hist, 0.9, maxNs),
    p99: quantile(hist, 0.99, maxNs),
    max: count ? maxNs : 0,
  };
}

function distSummary(d: NativeDist): PhaseSummary {
  return { ...distribution(d.count, d.hist, d.maxNs), sumNs: d.sumNs };
}

function latency(o: NativeOpStats): LatencySummary {
  return distribution(o.latCount, o.hist, o.latMaxNs);
}

/** trace --anatomy's figures of one opcode, as far as this kernel gives them; undefined without any. */
function anatomyOf(o: NativeOpStats, absent: Record<string, string> | undefined): OpAnatomy | undefined {
  const a: OpAnatomy = {};
  if (o.paths && !absent?.paths) a.paths = { ...o.paths };
  if (o.phases && !absent?.phases) {
    a.timed = { requests: o.phases.requests, ns: o.phases.timedNs };
    a.phases = Object.fromEntries(Object.entries(o.phases.byPhase).map(([k, p]) => [k, distSummary(p)])) as Record<PhaseName, PhaseSummary>;
  }
  return a.paths || a.phases ? a : undefined;
}

function zeroSwitches(): SwitchCounts {
  return { voluntary: 0, involuntary: 0, offCpuNs: 0, onCpuNs: 0 };
}

export interface SummarizeOptions {
  type: 'summary' | 'interval';
  durationNs: number;
  opNames: readonly string[];
  events: boolean;
  threads?: boolean;
  /** Figures the tracer cannot give on this kernel (TraceSession.absentFigures). */
  absent?: Record<string, string>;
  /** The bpf-ops programs driving the targets' rings, their counts over the same span as `s` (tracers/ops-programs.ts). */
  opsPrograms?: readonly NativeOpsProgram[];
}

/** Builds the contract object from a (delta or cumulative) snapshot. */
export function summarize(s: NativeSnapshot, opts: SummarizeOptions): Summary {
  const requests: Record<string, OpSummary> = {};
  for (const o of [...s.ops].sort((a, b) => a.opcode - b.opcode)) {
    if (!o.submitted && !o.completed) continue;
    requests[opName(opts.opNames, o.opcode)] = {
      submitted: o.submitted,
      completed: o.completed,
      errors: o.errors,
      cancelled: o.cancelled,
      latencyNs: latency(o),
    };
    const anatomy = anatomyOf(o, opts.absent);
    if (anatomy) requests[opName(opts.opNames, o.opcode)].anatomy = anatomy;
  }
  const byThread: Record<ThreadKind, SwitchCounts> = { app: zeroSwitches(), sqpoll: zeroSwitches(), iowq: zeroSwitches() };
  const total = zeroSwitches();
  for (const t of s.threads) {
    for (const acc of [byThread[t.kind], total]) {
      acc.voluntary += t.voluntary;
      acc.involuntary += t.involuntary;
      acc.offCpuNs += t.offcpuNs;
      acc.onCpuNs += t.oncpuNs;
    }
  }
  const c = s.counters;
  const out: Summary = {
    type: opts.type,
    durationNs: Math.round(opts.durationNs),
    requests,
    failLinks: c.failLink,
    reqFailed: c.reqFailed,
    cqOverflows: c.cqOverflows,
    asyncPunts: c.asyncPunts,
    pollArms: c.pollArms,
    taskWork: { adds: c.taskAdds, runs: c.taskWorkRuns, localRuns: c.localWorkRuns },
    enter: { calls: c.enterCalls, toSubmit: c.enterToSubmit, timeNs: c.enterNs },
    // Recordings made before waits were counted have none: 0 there.
    waits: {
      count: c.waits ?? 0, offCpuNs: c.waitNs ?? 0,
      ended: { events: c.waitsEvents ?? 0, timeout: c.waitsTimeout ?? 0, signal: c.waitsSignal ?? 0, error: c.waitsError ?? 0 },
    },
    ctxSwitches: { ...total, byThread },
    drops: c.eventDrops + s.userDrops,
    untracked: {
      completions: c.untracked, neverCompleted: c.staleRequests, evicted: c.evicted,
      processes: c.targetsMissed, threadEvents: c.threadsMissed,
    },
  };
  if (opts.threads) {
    out.threads = s.threads
      .filter((t) => t.tid < ABI.retiredTid) // exited threads: in the sums above, not listed
      .map((t) => ({
        tid: t.tid, tgid: t.tgid, kind: t.kind, comm: t.comm,
        voluntary: t.voluntary, involuntary: t.involuntary, offCpuNs: t.offcpuNs, onCpuNs: t.oncpuNs,
        enterCalls: t.enterCalls, waits: t.waits ?? 0, waitNs: t.waitNs ?? 0,
      }))
      .sort((a, b) => a.tid - b.tid);
  }
  if (s.reap && !opts.absent?.waits) out.reap = distSummary(s.reap);
  if (opts.events) out.events = { received: s.eventsReceived, written: c.eventsWritten };
  const progs = opts.opsPrograms ?? [];
  if (c.opsLoops || c.opsSqes || progs.length) {
    const submitted = s.ops.reduce((a, o) => a + o.submitted, 0);
    out.bpfOps = {
      rings: progs.length,
      loopSteps: progs.reduce((a, p) => a + p.runCnt, 0),
      loopRuns: c.opsLoops, stops: c.opsStops, errors: c.opsErrors,
      sqesFromBpf: c.opsSqes, sqesFromUser: Math.max(0, submitted - c.opsSqes),
      runNs: progs.reduce((a, p) => a + p.runTimeNs, 0),
      programs: progs.map((p) => ({ id: p.id, name: p.name })),
    };
  }
  if (opts.absent && Object.keys(opts.absent).length) out.absent = { ...opts.absent };
  return out;
}
