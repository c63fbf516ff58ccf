// Policy: a C policy's own counters (its US_STATS), live, with their rate,
// and how many records it emitted and requests it cancelled. Same numbers
// under user (read from the native policy) and bpf (read from its maps).
import { Text } from 'ink';
import type { RunState } from '../store.js';
import { fmtCount, pad, padStart } from '../format.js';
import { Section } from './section.js';
import { useTheme } from '../hooks.js';

/** Rows the panel takes for a run: its title and one row per counter, at most `maxStats`. */
export function policyRows(run: RunState, maxStats: number): number {
  if (!run.policy) return 0;
  return 1 + Math.max(1, Math.min(maxStats, run.policyNumbers?.stats.length ?? 1));
}

export function PolicyPanel({ run, width, maxStats }: { run: RunState; width: number; maxStats: number }) {
  const t = useTheme();
  const p = run.policyNumbers;
  const right = p ? `emits ${fmtCount(p.emits)}  cancels ${fmtCount(p.cancels)}${p.lost ? `  lost ${fmtCount(p.lost)}` : ''}` : undefined;
  const stats = p?.stats ?? [];
  // Too many counters for the rows: the last row says how many are not shown.
  const cut = stats.length > maxStats;
  const shown = cut ? stats.slice(0, Math.max(0, maxStats - 1)) : stats;
  // Names as wide as the longest, but the numbers always fit.
  const nameW = Math.max(8, Math.min(Math.max(0, ...shown.map((s) => s.name.length)), width - 21));
  return (
    <Section title="Policy" right={right} width={width}>
      {!p ? <Text dimColor={t.dim} wrap="truncate">waiting for the policy's counters</Text> : null}
      {p && stats.length === 0 ? <Text dimColor={t.dim} wrap="truncate">no US_STATS counters</Text> : null}
      {shown.map((s) => (
        <Text key={s.name} wrap="truncate">
          {pad(s.name, nameW)} {padStart(fmtCount(s.value), 8)}{s.perS === undefined ? '' : padStart(`${fmtCount(Math.round(s.perS))}/s`, 10)}
        </Text>
      ))}
      {cut ? <Text dimColor={t.dim} wrap="truncate">+{stats.length - shown.length} more counters (run --json has all)</Text> : null}
    </Section>
  );
}
