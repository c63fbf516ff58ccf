// The one place the TUI's data lives. Runs (engine or trace) push interval
// Summaries, engine progress and their end into it; views read immutable
// states through hooks (tui/hooks.ts). It derives what the panels show (rates,
// totals, a bounded history, the notable-event log) so views only render.
// No IO and no view code here: the CLI glue (cli/tui.ts) wires real runs in,
// tests feed it a fake snapshot stream.
import type { NativeSnapshot, ThreadKind } from '../native/index.js';
import { bucketRange } from '../tracers/histogram.js';
import type { LatencySummary, Summary, ThreadSummary } from '../tracers/summary.js';
import type { EngineProgress, PolicyEmit } from '../core/engine-result.js';
import { emitLine, moreEmitsLine, policyNumbers, withRates, type PolicyNumbers } from './policy-stats.js';
import { errnoName } from '../core/errno.js';

/** Points kept per run: at 4 fps two minutes, enough for any chart width. */
export const HISTORY = 480;
const LOG_MAX = 200;
/**
 * us_emit() records logged one by one per run; the rest are counted on one
 * line updated in place, so a policy that emits per step cannot flood the log.
 */
export const POLICY_EVENTS_LOGGED = 8;

export type RunStatus = 'starting' | 'running' | 'ended' | 'error';
export type LogLevel = 'info' | 'warn' | 'error';

export interface LogEntry {
  /** Seconds since the store was created. */
  t: number;
  level: LogLevel;
  text: string;
  /** A line updated in place rather than added again (the count of unlogged policy events). */
  key?: string;
}

export interface Point {
  opsPerS: number;
  bytesPerS?: number;
}

export interface SwitchTotals {
  voluntary: number;
  involuntary: number;
}

export interface Totals {
  submitted: number;
  completed: number;
  cancelled: number;
  errors: number;
  failLinks: number;
  reqFailed: number;
  cqOverflows: number;
  enterCalls: number;
  toSubmit: number;
  drops: number;
  switches: Record<ThreadKind, SwitchTotals>;
  /** Rings driven by io_uring bpf-ops (7.1+): what their programs did. */
  bpfOps?: { loopSteps: number; runNs: number; sqesFromBpf: number; stops: number; errors: number; programs: string[] };
}

export interface HistBin {
  lowNs: number;
  count: number;
}

export interface RunInfo {
  /** What the header says: "short-read · link", "pid 1234". */
  label: string;
  workload?: string;
  strategy?: string;
  /** Steps per chain, to show syscalls per step. */
  stepsPerChain?: number;
  /** The recording it was read from (`view`): compare names its columns A and B then. */
  source?: string;
  /** The C policy that decides (its name on screen), when one does. */
  policy?: string;
}

export interface RunState extends RunInfo {
  id: number;
  status: RunStatus;
  elapsedNs: number;
  history: Point[];
  /** The latest interval, and the latest one that saw any completion (kept after the end). */
  last?: Summary;
  lastActive?: Summary;
  /** Rates of the last interval, or of the last active one once the run has ended. */
  opsPerS: number;
  bytesPerS?: number;
  totals: Totals;
  /** Per-opcode latency: the last interval that timed that opcode, or the whole run at the end. */
  latency: Record<string, LatencySummary>;
  /** Whole-run latency histogram of the busiest opcode, power-of-two bins. */
  hist?: { op: string; bins: HistBin[] };
  threads?: ThreadSummary[];
  engine?: EngineProgress;
  /** A C policy's counters (runs with `policy` only), from the engine's progress. */
  policyNumbers?: PolicyNumbers;
  /** Why it ended, in words ("target exited: last numbers kept"). */
  endNote?: string;
  error?: string;
}

/** Where a recording's playback stands (`uringscope view`); absent for live runs. */
export interface Playback {
  /** Recorded time shown so far, and the recording's whole length. */
  positionNs: number;
  totalNs: number;
  /** Intervals applied, of how many. */
  index: number;
  count: number;
  speed: number;
  state: 'playing' | 'paused' | 'ended';
  /** The recording's path(s), for the header. */
  source: string;
}

export interface StoreState {
  /** Bumped on every change: views re-render on it. */
  version: number;
  runs: RunState[];
  log: LogEntry[];
  paused: boolean;
  playback?: Playback;
}

function zeroTotals(): Totals {
  const z = () => ({ voluntary: 0, involuntary: 0 });
  return {
    submitted: 0, completed: 0, cancelled: 0, errors: 0, failLinks: 0, reqFailed: 0, cqOverflows: 0,
    enterCalls: 0, toSubmit: 0, drops: 0, switches: { app: z(), sqpoll: z(), iowq: z() },
  };
}


/** Sums an interval into the run's totals. */
function addInterval(t: Totals, s: Summary): Totals {
  const out: Totals = { ...t, switches: { app: { ...t.switches.app }, sqpoll: { ...t.switches.sqpoll }, iowq: { ...t.switches.iowq } } };
  for (const op of Object.values(s.requests)) {
    out.submitted += op.submitted;
    out.completed += op.completed;
    out.cancelled += op.cancelled;
    out.errors += op.errors;
  }
  out.failLinks += s.failLinks;
  out.reqFailed += s.reqFailed;
  out.cqOverflows += s.cqOverflows;
  out.enterCalls += s.enter.calls;
  out.toSubmit += s.enter.toSubmit;
  out.drops += s.drops;
  if (s.bpfOps) {
    const b = out.bpfOps ?? { loopSteps: 0, runNs: 0, sqesFromBpf: 0, stops: 0, errors: 0, programs: [] };
    const names = s.bpfOps.programs.map((p) => `${p.name}#${p.id}`);
    out.bpfOps = {
      loopSteps: b.loopSteps + s.bpfOps.loopSteps,
      runNs: b.runNs + s.bpfOps.runNs,
      sqesFromBpf: b.sqesFromBpf + s.bpfOps.sqesFromBpf,
      stops: b.stops + s.bpfOps.stops,
      errors: b.errors + s.bpfOps.errors,
      programs: [...new Set([...b.programs, ...names])],
    };
  }
  for (const k of ['app', 'sqpoll', 'iowq'] as const) {
    out.switches[k].voluntary += s.ctxSwitches.byThread[k].voluntary;
    out.switches[k].involuntary += s.ctxSwitches.byThread[k].involuntary;
  }
  return out;
}

/** Whole-summary totals (the final cumulative summary replaces the interval sums). */
function totalsOf(s: Summary): Totals {
  return addInterval(zeroTotals(), s);
}

export function completedIn(s: Summary): number {
  return Object.values(s.requests).reduce((n, o) => n + o.completed, 0);
}

/**
 * The busiest opcode's histogram folded into power-of-two bins (the kernel
 * keeps four sub-buckets per power of two; a terminal row per power is enough).
 */
export function histogramOf(snap: NativeSnapshot, opNames: readonly string[]): RunState['hist'] {
  const op = [...snap.ops].sort((a, b) => b.latCount - a.latCount)[0];
  if (!op || op.latCount === 0) return undefined;
  const bins = new Map<number, number>();
  for (let b = 0; b < op.hist.length; b++) {
    if (!op.hist[b]) continue;
    const { low } = bucketRange(b);
    const p = low < 1 ? 0 : 2 ** Math.floor(Math.log2(low));
    bins.set(p, (bins.get(p) ?? 0) + op.hist[b]);
  }
  const list = [...bins.entries()].sort((a, b) => a[0] - b[0]).map(([lowNs, count]) => ({ lowNs, count }));
  return { op: opNames[op.opcode] || `OP_${op.opcode}`, bins: list };
}

/** Fewer rows than bins: merge neighbours pairwise until they fit (counts are kept, not cut). */
export function foldBins(bins: readonly HistBin[], max: number): HistBin[] {
  let list = [...bins];
  while (list.length > Math.max(1, max)) {
    const merged: HistBin[] = [];
    for (let i = 0; i < list.length; i += 2) {
      merged.push({ lowNs: list[i].lowNs, count: list[i].count + (list[i + 1]?.count ?? 0) });
    }
    list = merged;
  }
  return list;
}

type Listener = () => void;

export class Store {
  private state: StoreState = { version: 0, runs: [], log: [], paused: false };
  /** What views see while paused: the state when pause was pressed. */
  private frozen?: StoreState;
  private listeners = new Set<Listener>();
  private nextId = 1;
  private readonly t0: number;
  private bytesSeen = new Map<number, number>();
  private cancelNoted = new Set<number>();
  private absentNoted = new Set<number>();
  private errorNoted = new Set<number>();
  private dropsNoted = new Set<number>();
  /** Per run: policy counter values at the last interval (for rates), us_emit records seen. */
  private policySeen = new Map<number, Map<string, number>>();
  private emitsSeen = new Map<number, number>();
  /** Inside batch(): changes are made, listeners hear once at the end. */
  private batching = false;

  constructor(private readonly now: () => number = () => Date.now()) {
    this.t0 = now();
  }

  subscribe = (l: Listener): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };

  getState = (): StoreState => this.frozen ?? this.state;

  /** The live state even while the view is paused (the dashboard, tests). */
  liveState(): StoreState {
    return this.state;
  }

  private set(next: Omit<StoreState, 'version'>): void {
    this.state = { ...next, version: this.state.version + 1 };
    if (!this.frozen && !this.batching) this.emit();
  }

  private emit(): void {
    for (const l of this.listeners) l();
  }

  /** Many changes as one: a recording rebuilt up to a seek position re-renders once. */
  batch(f: () => void): void {
    if (this.batching) return f();
    this.batching = true;
    try {
      f();
    } finally {
      this.batching = false;
      if (!this.frozen) this.emit();
    }
  }

  /** Back to empty (runs, log, what was noted), to rebuild from the start: a seek backwards. */
  reset(): void {
    this.bytesSeen.clear();
    this.cancelNoted.clear();
    this.errorNoted.clear();
    this.dropsNoted.clear();
    this.policySeen.clear();
    this.emitsSeen.clear();
    this.set({ ...this.state, runs: [], log: [] });
  }

  setPlayback(p: Playback): void {
    this.set({ ...this.state, playback: p });
  }

  private update(id: number, f: (r: RunState) => RunState): void {
    this.set({ ...this.state, runs: this.state.runs.map((r) => (r.id === id ? f(r) : r)) });
  }

  run(id: number): RunState | undefined {
    return this.state.runs.find((r) => r.id === id);
  }

  /** Pause freezes what views show; data keeps flowing in and shows on resume. */
  setPaused(paused: boolean): void {
    if (paused === !!this.frozen) return;
    if (paused) {
      this.frozen = { ...this.state, paused: true, version: this.state.version + 1 };
      this.emit();
    } else {
      this.frozen = undefined;
      this.set({ ...this.state, paused: false });
    }
  }

  note(level: LogLevel, text: string, key?: string): void {
    const entry: LogEntry = { t: (this.now() - this.t0) / 1000, level, text, ...(key ? { key } : {}) };
    const at = key ? this.state.log.findIndex((e) => e.key === key) : -1;
    // A keyed line still in the log is replaced where it stands (it keeps its time).
    const log = at >= 0 ? this.state.log.map((e, i) => (i === at ? { ...entry, t: e.t } : e)) : [...this.state.log, entry].slice(-LOG_MAX);
    this.set({ ...this.state, log });
  }

  /** A new run; `replace` drops the others (a fresh start), otherwise it is added (compare). */
  begin(info: RunInfo, replace = true): number {
    const id = this.nextId++;
    const run: RunState = { ...info, id, status: 'starting', elapsedNs: 0, history: [], opsPerS: 0, totals: zeroTotals(), latency: {} };
    this.set({ ...this.state, runs: replace ? [run] : [...this.state.runs, run] });
    return id;
  }

  started(id: number): void {
    this.update(id, (r) => ({ ...r, status: 'running' }));
  }

  /** One interval Summary; `snap` (the cumulative snapshot) feeds the histogram. */
  interval(id: number, s: Summary, snap?: NativeSnapshot, opNames: readonly string[] = []): void {
    const r = this.run(id);
    if (!r) return;
    const secs = s.durationNs / 1e9;
    const done = completedIn(s);
    const opsPerS = secs > 0 ? done / secs : 0;
    let bytesPerS: number | undefined;
    if (r.engine) {
      const prev = this.bytesSeen.get(id) ?? 0;
      bytesPerS = secs > 0 ? (r.engine.bytes - prev) / secs : 0;
      this.bytesSeen.set(id, r.engine.bytes);
    }
    const latency = { ...r.latency };
    for (const [op, o] of Object.entries(s.requests)) if (o.latencyNs.count > 0) latency[op] = o.latencyNs;
    const totals = addInterval(r.totals, s);
    let policy = r.policyNumbers;
    if (policy) {
      policy = withRates(policy, this.policySeen.get(id) ?? new Map(), secs);
      this.policySeen.set(id, new Map(policy.stats.map((x) => [x.name, x.value])));
    }
    this.update(id, (x) => ({
      ...x,
      status: x.status === 'starting' ? 'running' : x.status,
      elapsedNs: x.elapsedNs + s.durationNs,
      history: [...x.history, { opsPerS, bytesPerS }].slice(-HISTORY),
      last: s,
      lastActive: done > 0 ? s : x.lastActive,
      opsPerS,
      bytesPerS,
      totals,
      latency,
      hist: snap ? histogramOf(snap, opNames) ?? x.hist : x.hist,
      threads: s.threads ?? x.threads,
      policyNumbers: policy,
    }));
    this.notable(r, s, totals);
  }

  /** First cancellation, first errors, drops: the moments worth a line in the log. */
  private notable(r: RunState, s: Summary, totals: Totals): void {
    const who = r.label;
    // A kernel without a hook's tracepoint (or its shape): those panels read 0.
    if (s.absent && !this.absentNoted.has(r.id)) {
      this.absentNoted.add(r.id);
      this.note('warn', `${who}: not measured on this kernel: ${Object.keys(s.absent).join(', ')} (uringscope doctor says why)`);
    }
    if (totals.cancelled > 0 && !this.cancelNoted.has(r.id)) {
      this.cancelNoted.add(r.id);
      const ops = Object.entries(s.requests).filter(([, o]) => o.cancelled > 0).map(([k]) => k).join(', ');
      this.note('warn', `${who}: first cancellation (-ECANCELED)${ops ? ` on ${ops}` : ''}`);
    }
    if (totals.errors > 0 && !this.errorNoted.has(r.id)) {
      this.errorNoted.add(r.id);
      const ops = Object.entries(s.requests).filter(([, o]) => o.errors > 0).map(([k, o]) => `${k} ×${o.errors}`).join(', ');
      this.note('error', `${who}: first failed completions: ${ops || totals.errors}`);
    }
    if (s.drops > 0) {
      const first = !this.dropsNoted.has(r.id);
      this.dropsNoted.add(r.id);
      this.note('warn', `${who}: ${first ? 'event records dropped' : 'more drops'}: ${s.drops} (total ${totals.drops})`);
    }
    if (s.cqOverflows > 0) this.note('warn', `${who}: CQ overflow ×${s.cqOverflows}`);
  }

  progress(id: number, p: EngineProgress): void {
    this.update(id, (r) => ({ ...r, engine: p, policyNumbers: r.policy ? policyNumbers(p.policy, r.policyNumbers) : undefined }));
  }

  /** A record the run's C policy sent with us_emit(): logged, up to POLICY_EVENTS_LOGGED per run, then counted. */
  policyEvent(id: number, e: PolicyEmit): void {
    if (!this.run(id)) return;
    const n = (this.emitsSeen.get(id) ?? 0) + 1;
    this.emitsSeen.set(id, n);
    if (n <= POLICY_EVENTS_LOGGED) this.note('info', emitLine(e));
    else this.note('info', moreEmitsLine(n - POLICY_EVENTS_LOGGED), `emits-${id}`);
  }

  /**
   * The run is over. `final` (the cumulative summary) replaces the interval
   * sums and gives whole-run latency; the last rates stay on screen.
   */
  end(id: number, end: { note: string; final?: Summary; error?: string; firstErrno?: number; failedChains?: number }): void {
    const r = this.run(id);
    if (!r) return;
    this.update(id, (x) => {
      const active = x.lastActive;
      const secs = active ? active.durationNs / 1e9 : 0;
      const latency = { ...x.latency };
      if (end.final) for (const [op, o] of Object.entries(end.final.requests)) if (o.latencyNs.count > 0) latency[op] = o.latencyNs;
      return {
        ...x,
        status: end.error && !end.final ? 'error' : 'ended',
        endNote: end.note,
        error: end.error,
        totals: end.final ? totalsOf(end.final) : x.totals,
        latency,
        opsPerS: active && secs > 0 ? completedIn(active) / secs : x.opsPerS,
        threads: end.final?.threads ?? x.threads,
      };
    });
    if (end.error) this.note('error', `${r.label}: ${end.error}`);
    if (end.failedChains) this.note('error', `${r.label}: ${end.failedChains} chains failed (first error ${errnoName(end.firstErrno ?? 0)})`);
    this.note('info', `${r.label}: ${end.note}`);
  }
}
