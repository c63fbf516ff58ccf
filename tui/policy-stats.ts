// A C policy's own numbers as the views show them. The engine's progress
// carries them in one flat map next to its own counters: "stat.NAME" for each
// US_STATS counter, "emits" / "policyCancels" for us_emit / us_cancel, and
// under bpf "emitsLost" (records that found the ring buffer full). The store
// turns that map into this shape, with per-second rates, so views only print.
import { fmtCount } from '../core/units.js';
import type { PolicyEmit } from '../core/engine-result.js';

export interface PolicyStat {
  name: string;
  value: number;
  /** Per second over the last interval; absent before the first interval. */
  perS?: number;
}

export interface PolicyNumbers {
  /** The US_STATS counters, in the order the policy declared them. */
  stats: PolicyStat[];
  emits: number;
  cancels: number;
  /** Strategy bpf: us_emit records dropped because the ring buffer was full. */
  lost: number;
}

const STAT = 'stat.';

/** The policy's numbers in a progress map; rates are carried over from `prev` until the next interval recomputes them. */
export function policyNumbers(map: Record<string, number> | undefined, prev?: PolicyNumbers): PolicyNumbers | undefined {
  if (!map) return undefined;
  const rate = new Map(prev?.stats.map((s) => [s.name, s.perS]));
  const stats: PolicyStat[] = [];
  for (const [k, value] of Object.entries(map)) {
    if (!k.startsWith(STAT)) continue;
    const name = k.slice(STAT.length);
    stats.push(rate.get(name) === undefined ? { name, value } : { name, value, perS: rate.get(name) });
  }
  return { stats, emits: map.emits ?? 0, cancels: map.policyCancels ?? 0, lost: map.emitsLost ?? 0 };
}

/** Rates over an interval of `secs`: each counter's growth since the values seen at the previous interval. */
export function withRates(p: PolicyNumbers, seen: ReadonlyMap<string, number>, secs: number): PolicyNumbers {
  return {
    ...p,
    stats: p.stats.map((s) => ({ ...s, perS: secs > 0 ? Math.max(0, s.value - (seen.get(s.name) ?? 0)) / secs : 0 })),
  };
}

/** The log line of one us_emit() record. */
export function emitLine(e: PolicyEmit): string {
  return `policy event kind=${e.kind} chain=${e.chain} a=${e.a} b=${e.b}`;
}

/** The line that stands for the records not logged one by one. */
export function moreEmitsLine(n: number): string {
  return `… ${n} more policy event${n === 1 ? '' : 's'} not logged`;
}

/** The name a policy argument goes by on screen: a file's base name, a built-in's name. */
export function policyLabel(arg: string): string {
  return arg.replace(/^.*\//, '');
}

/** What decides a run and its counters, as label + rows of [counter, value, per second] (the dashboard's policy table). */
export function policyTable(run: {
  policy?: string;
  strategy?: string;
  policyNumbers?: PolicyNumbers;
  engine?: { policy?: Record<string, number> };
}): { label: string; rows: string[][] } {
  const p = run.policyNumbers;
  if (run.policy) {
    const rows = (p?.stats ?? []).map((s) => [s.name, fmtCount(s.value), s.perS === undefined ? '' : fmtCount(Math.round(s.perS))]);
    rows.push(['emits', fmtCount(p?.emits ?? 0), ''], ['cancels', fmtCount(p?.cancels ?? 0), '']);
    if (p?.lost) rows.push(['emits lost', fmtCount(p.lost), '']);
    return { label: `policy ${run.policy}`, rows };
  }
  const k = run.engine?.policy;
  if (k?.stepsIssued !== undefined) {
    // Strategy bpf without a C policy: the in-kernel interpreter's own counters.
    return {
      label: 'policy (bpf, in-kernel)',
      rows: [['steps in-kernel', fmtCount(k.stepsIssued), ''], ['SQ-full parks', fmtCount(k.sqFullParks ?? 0), ''], ['wakeups', fmtCount(k.wakeups ?? 0), '']],
    };
  }
  return { label: 'policy', rows: [[run.strategy === 'link' ? 'kernel links' : 'none', '', '']] };
}
