// Compare: two runs of one workload under two strategies, the same numbers as
// the panels side by side, with the ratio B/A. Two recordings (`view A B`) may
// hold anything, so their columns are A and B, named by file under the title.
import { Text } from 'ink';
import type { RunState } from '../store.js';
import { fmtCount, fmtNs, pad, padStart, ratio } from '../format.js';
import { Section } from './section.js';
import { useTheme } from '../hooks.js';

interface Row {
  label: string;
  a: number | undefined;
  b: number | undefined;
  fmt: (v: number) => string;
}

/** Policy counters compared, at most; a policy with more has them all in `run --json`. */
const MAX_POLICY_STATS = 4;

/** A C policy's counters, by name, over both runs (a link run has none: kernel links decide there). */
function policyStatNames(runs: readonly (RunState | undefined)[]): string[] {
  const names: string[] = [];
  for (const r of runs) for (const s of r?.policyNumbers?.stats ?? []) if (!names.includes(s.name)) names.push(s.name);
  return names.slice(0, MAX_POLICY_STATS);
}

/** Rows the policy adds to the compare view (its counters and its emits), for the layout. */
export function comparePolicyRows(runs: readonly RunState[]): number {
  return runs.some((r) => r.policy) ? policyStatNames(runs).length + 1 : 0;
}

function policyRowsOf(a: RunState, b: RunState | undefined): Row[] {
  if (!a.policy && !b?.policy) return [];
  const count = (v: number) => fmtCount(Math.round(v));
  const stat = (r: RunState | undefined, name: string) => r?.policyNumbers?.stats.find((s) => s.name === name)?.value;
  const rows: Row[] = policyStatNames([a, b]).map((name) => ({ label: name, a: stat(a, name), b: stat(b, name), fmt: count }));
  rows.push({ label: 'policy emits', a: a.policyNumbers?.emits, b: b?.policyNumbers?.emits, fmt: count });
  return rows;
}

function rowsOf(a: RunState, b: RunState | undefined): Row[] {
  const count = (v: number) => fmtCount(Math.round(v));
  const per = (r: RunState | undefined, n: (r: RunState) => number) =>
    r && r.engine?.steps ? n(r) / r.engine.steps : undefined;
  const op = Object.keys(a.latency)[0];
  const lat = (r: RunState | undefined, q: 'p50' | 'p99') => (r && op ? r.latency[op]?.[q] : undefined);
  const rows: Row[] = [
    { label: 'ops/s', a: a.opsPerS, b: b?.opsPerS, fmt: count },
    { label: 'completions', a: a.totals.completed, b: b?.totals.completed, fmt: count },
    { label: 'cancelled', a: a.totals.cancelled, b: b?.totals.cancelled, fmt: count },
    { label: 'errors', a: a.totals.errors, b: b?.totals.errors, fmt: count },
    { label: 'io_uring_enter', a: a.totals.enterCalls, b: b?.totals.enterCalls, fmt: count },
    { label: 'enter/step', a: per(a, (r) => r.totals.enterCalls), b: per(b, (r) => r.totals.enterCalls), fmt: (v) => v.toFixed(3) },
    { label: 'app vol sw', a: a.totals.switches.app.voluntary, b: b?.totals.switches.app.voluntary, fmt: count },
    { label: 'iowq vol sw', a: a.totals.switches.iowq.voluntary, b: b?.totals.switches.iowq.voluntary, fmt: count },
  ];
  if (op) {
    rows.push({ label: `${op} p50`, a: lat(a, 'p50'), b: lat(b, 'p50'), fmt: fmtNs });
    rows.push({ label: `${op} p99`, a: lat(a, 'p99'), b: lat(b, 'p99'), fmt: fmtNs });
  }
  rows.push({ label: 'drops', a: a.totals.drops, b: b?.totals.drops, fmt: count });
  return [...rows, ...policyRowsOf(a, b)];
}

export function ComparePanel({ a, b, width }: { a: RunState; b?: RunState; width: number }) {
  const t = useTheme();
  const col = 16;
  const files = a.source !== undefined;
  const name = (r: RunState | undefined, tag: string) =>
    files ? tag : r ? `${r.strategy ?? r.label} ${r.status === 'ended' ? '' : `(${r.status})`}`.trim() : 'waiting';
  const ratioOf = files ? 'B/A' : `${b?.strategy ?? 'B'}/${a.strategy ?? 'A'}`;
  const policy = a.policy ?? b?.policy;
  const title = files ? 'Compare recordings' : `Compare ${a.workload ?? ''}${policy ? ` · policy ${policy}` : ''}`;
  return (
    <Section title={title} right={`ratio = ${ratioOf}`} width={width}>
      {files ? <Text wrap="truncate">A = {a.source} ({a.label})</Text> : null}
      {files && b ? <Text wrap="truncate">B = {b.source} ({b.label})</Text> : null}
      <Text dimColor={t.dim} wrap="truncate">
        {pad('', 16)}{padStart(name(a, 'A'), col)}{padStart(name(b, 'B'), col)}{padStart('ratio', 9)}
      </Text>
      {rowsOf(a, b).map((r) => (
        <Text key={r.label} wrap="truncate">
          {pad(r.label, 16)}
          {padStart(r.a === undefined ? '-' : r.fmt(r.a), col)}
          {padStart(r.b === undefined ? '-' : r.fmt(r.b), col)}
          {padStart(r.a !== undefined && r.b !== undefined ? ratio(r.b, r.a) : '-', 9)}
        </Text>
      ))}
    </Section>
  );
}
