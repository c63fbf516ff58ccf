// The metrics of `uringscope serve` (docs/contract.md, "Metrics"),
// built from one cumulative tracer snapshot: plain metric families that the
// Prometheus endpoint (tracers/prometheus.ts) and the OTLP push
// (tracers/otlp.ts) both render. Work here is per target and opcode, never
// per request: the counting happened in the kernel.
import type { NativeOpsProgram, NativeSnapshot, NativeTargetStats, ThreadKind } from '../native/index.js';
import { bucketRange, BUCKETS } from './histogram.js';
import { opName } from './summary.js';

export type Labels = Record<string, string>;

export interface ValueSample {
  labels: Labels;
  value: number;
}

export interface HistogramSample {
  labels: Labels;
  /** Upper bounds in seconds (the kernel's bucket edges), ascending; +Inf is implied. */
  bounds: readonly number[];
  /** Observations per bucket (not cumulative): bounds.length + 1 entries, the last above every bound. */
  counts: number[];
  sum: number;
  count: number;
}

export type MetricFamily =
  | { name: string; help: string; type: 'counter' | 'gauge'; samples: ValueSample[] }
  | { name: string; help: string; type: 'histogram'; samples: HistogramSample[] };

/** A process being reported: its labels come from here. */
export interface TargetInfo {
  pid: number;
  comm: string;
}

/**
 * The `le` edges: every in-kernel bucket's inclusive upper bound, in
 * seconds. Bucket b holds whole nanoseconds low..low+width-1, so "≤ edge"
 * is exactly "in bucket b or below": no re-bucketing, no loss beyond the
 * kernel's own buckets (≤ 25% wide). The last kernel bucket also takes
 * everything above 2^40 ns, so it is +Inf rather than an edge.
 */
export const LATENCY_BOUNDS_S: readonly number[] = Array.from({ length: BUCKETS - 1 }, (_, b) => {
  const { low, width } = bucketRange(b);
  return (low + width - 1) / 1e9;
});

const THREAD_KINDS: ThreadKind[] = ['app', 'sqpoll', 'iowq'];

function counter(name: string, help: string): MetricFamily & { type: 'counter' } {
  return { name, help, type: 'counter', samples: [] };
}

/** Per-target figures summed from the per-thread map (switches, syscalls). */
interface ThreadSums {
  voluntary: Record<ThreadKind, number>;
  involuntary: Record<ThreadKind, number>;
  offcpuNs: Record<ThreadKind, number>;
  enterCalls: number;
  enterToSubmit: number;
  waits: number;
  waitNs: number;
}

function threadSums(snap: NativeSnapshot): Map<number, ThreadSums> {
  const out = new Map<number, ThreadSums>();
  for (const t of snap.threads) {
    let s = out.get(t.tgid);
    if (!s) {
      const zero = () => ({ app: 0, sqpoll: 0, iowq: 0 });
      s = { voluntary: zero(), involuntary: zero(), offcpuNs: zero(), enterCalls: 0, enterToSubmit: 0, waits: 0, waitNs: 0 };
      out.set(t.tgid, s);
    }
    s.voluntary[t.kind] += t.voluntary;
    s.involuntary[t.kind] += t.involuntary;
    s.offcpuNs[t.kind] += t.offcpuNs;
    s.enterCalls += t.enterCalls;
    s.enterToSubmit += t.enterToSubmit ?? 0;
    s.waits += t.waits ?? 0;
    s.waitNs += t.waitNs ?? 0;
  }
  return out;
}

function latencyCounts(hist: ArrayLike<number>): number[] {
  // Kernel buckets map one to one; the last one is the +Inf bucket.
  return Array.from(hist);
}

export interface MetricsInput {
  snapshot: NativeSnapshot;
  /** The targets to report, by pid; stats of others (dropped, forgotten) are left out. */
  targets: Map<number, TargetInfo>;
  opNames: readonly string[];
  /** Processes that could not be given their own series (kernel count + ours). */
  targetsDropped: number;
  /** Figures this kernel cannot give (TraceSession.absentFigures): their families stay empty. */
  absent?: Record<string, string>;
  /** bpf-ops programs of the targets, cumulative (tracers/ops-programs.ts): their run counts are the loop steps. */
  opsPrograms?: readonly NativeOpsProgram[];
}

/** Every family of the contract, in a fixed order, from one snapshot. */
export function buildMetrics(input: MetricsInput): MetricFamily[] {
  const { snapshot: snap, targets, opNames } = input;
  const absent = input.absent ?? {};
  const has = (figure: string) => !(figure in absent);

  const submitted = counter('uringscope_requests_submitted_total', 'io_uring requests submitted (io_uring_submit_req)');
  const completed = counter('uringscope_requests_completed_total', 'io_uring completions posted (every CQE, multishot included)');
  const errors = counter('uringscope_requests_errors_total', 'completions with a negative result other than -ECANCELED');
  const cancelled = counter('uringscope_requests_cancelled_total', 'completions with res = -ECANCELED');
  const latency: MetricFamily & { type: 'histogram' } = {
    name: 'uringscope_request_latency_seconds',
    help: 'submit to final completion; le edges are the in-kernel log2/4 bucket bounds',
    type: 'histogram',
    samples: [],
  };
  const linkFailures = counter('uringscope_link_failures_total', 'links broken (io_uring_fail_link): the rest of the link is cancelled');
  const reqFailed = counter('uringscope_requests_failed_total', 'requests that failed before or at submission (io_uring_req_failed)');
  const overflows = counter('uringscope_cq_overflows_total', 'completions that overflowed the CQ ring');
  const punts = counter('uringscope_async_punts_total', 'requests handed to io-wq workers');
  const enterCalls = counter('uringscope_enter_calls_total', 'io_uring_enter syscalls by the target\'s threads');
  const enterSubmitted = counter('uringscope_enter_submitted_total', 'sum of io_uring_enter\'s to_submit argument');
  const waits = counter('uringscope_enter_waits_total', 'io_uring_enter calls that waited for CQEs (io_uring_cqring_wait)');
  const waitSeconds = counter('uringscope_enter_wait_seconds_total', 'off-CPU time of the target\'s threads inside those waits');
  const switches = counter('uringscope_context_switches_total', 'context switches of the target\'s threads, by thread kind');
  const offcpu = counter('uringscope_offcpu_seconds_total', 'time the target\'s threads spent switched out, by thread kind');
  // Upstream io_uring bpf-ops (Linux 7.1+): SQEs from BPF (fexit on the kfunc),
  // loop steps (the struct_ops programs' own run counts).
  const opsSteps = counter('uringscope_bpf_ops_loop_steps_total', 'bpf-ops loop_step calls (the ring\'s struct_ops program runs)');
  const opsSqes = counter('uringscope_bpf_ops_sqes_total', 'SQEs submitted from a ring\'s bpf-ops program (bpf_io_uring_submit_sqes)');
  const dropped = counter('uringscope_events_dropped_total', 'request records lost (ring buffer full, or not drained)');
  const targetsGauge: MetricFamily = { name: 'uringscope_targets', help: 'processes reported with their own series', type: 'gauge', samples: [] };
  const targetsDropped = counter('uringscope_targets_dropped_total', 'processes using io_uring left out by --max-targets');

  const byPid = new Map<number, NativeTargetStats>();
  for (const t of snap.targets ?? []) byPid.set(t.tgid, t);
  const threads = threadSums(snap);

  for (const [pid, info] of [...targets].sort((a, b) => a[0] - b[0])) {
    const base: Labels = { comm: info.comm, pid: String(pid) };
    const t = byPid.get(pid);
    for (const o of [...(t?.ops ?? [])].sort((a, b) => a.opcode - b.opcode)) {
      const labels = { op: opName(opNames, o.opcode), ...base };
      if (has('submitted')) submitted.samples.push({ labels, value: o.submitted });
      if (has('completed')) {
        completed.samples.push({ labels, value: o.completed });
        errors.samples.push({ labels, value: o.errors });
        cancelled.samples.push({ labels, value: o.cancelled });
      }
      if (has('latency')) {
        latency.samples.push({ labels, bounds: LATENCY_BOUNDS_S, counts: latencyCounts(o.hist), sum: o.latSumNs / 1e9, count: o.latCount });
      }
    }
    const c = t?.counters;
    if (c) {
      if (has('failLinks')) linkFailures.samples.push({ labels: base, value: c.failLink });
      if (has('reqFailed')) reqFailed.samples.push({ labels: base, value: c.reqFailed });
      if (has('cqOverflows')) overflows.samples.push({ labels: base, value: c.cqOverflows });
      if (has('asyncPunts')) punts.samples.push({ labels: base, value: c.asyncPunts });
      if (c.opsLoops || c.opsSqes) opsSqes.samples.push({ labels: base, value: c.opsSqes });
    }
    const steps = (input.opsPrograms ?? []).filter((p) => p.tgid === pid);
    if (steps.length) opsSteps.samples.push({ labels: base, value: steps.reduce((a, p) => a + p.runCnt, 0) });
    const th = threads.get(pid);
    if (has('enter')) {
      enterCalls.samples.push({ labels: base, value: th?.enterCalls ?? 0 });
      enterSubmitted.samples.push({ labels: base, value: th?.enterToSubmit ?? 0 });
    }
    if (has('waits')) {
      waits.samples.push({ labels: base, value: th?.waits ?? 0 });
      waitSeconds.samples.push({ labels: base, value: (th?.waitNs ?? 0) / 1e9 });
    }
    if (has('ctxSwitches')) {
      for (const kind of THREAD_KINDS) {
        for (const k of ['voluntary', 'involuntary'] as const) {
          switches.samples.push({ labels: { thread: kind, kind: k, ...base }, value: th?.[k][kind] ?? 0 });
        }
        offcpu.samples.push({ labels: { thread: kind, ...base }, value: (th?.offcpuNs[kind] ?? 0) / 1e9 });
      }
    }
  }
  dropped.samples.push({ labels: {}, value: snap.counters.eventDrops + snap.userDrops });
  targetsGauge.samples.push({ labels: {}, value: targets.size });
  targetsDropped.samples.push({ labels: {}, value: input.targetsDropped });

  return [
    submitted, completed, errors, cancelled, latency, linkFailures, reqFailed, overflows, punts,
    enterCalls, enterSubmitted, waits, waitSeconds, switches, offcpu, opsSteps, opsSqes, dropped, targetsGauge, targetsDropped,
  ];
}
