// Per-thread table for `top`: every traced thread with its kind, switches,
// on/off-CPU time of the last interval and io_uring_enter calls.
import { Text } from 'ink';
import type { ThreadSummary } from '../../tracers/summary.js';
import { fmtCount, fmtNs, pad, padStart } from '../format.js';
import { Section } from './section.js';
import { useTheme } from '../hooks.js';

export function ThreadsPanel({ threads, width, maxRows }: { threads: ThreadSummary[]; width: number; maxRows: number }) {
  const t = useTheme();
  // Busiest first: the rows that fit are the ones worth seeing.
  const rows = [...threads].sort((a, b) => b.onCpuNs - a.onCpuNs || a.tid - b.tid).slice(0, Math.max(0, maxRows));
  return (
    <Section title="Threads" right={`${threads.length} traced`} width={width}>
      <Text dimColor={t.dim} wrap="truncate">
        {padStart('tid', 7)} {pad('comm', 16)}{pad('kind', 7)}{padStart('vol', 8)}{padStart('invol', 8)}{padStart('on-cpu', 9)}{padStart('enter', 8)}
      </Text>
      {rows.map((r) => (
        <Text key={r.tid} wrap="truncate">
          {padStart(String(r.tid), 7)} {pad(r.comm, 16)}{pad(r.kind, 7)}{padStart(fmtCount(r.voluntary), 8)}{padStart(fmtCount(r.involuntary), 8)}
          {padStart(fmtNs(r.onCpuNs), 9)}{padStart(fmtCount(r.enterCalls), 8)}
        </Text>
      ))}
    </Section>
  );
}
