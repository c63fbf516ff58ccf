// Throughput: completions per second and bytes per second (engine runs), the
// run's total, and a sparkline of ops/s over the history ring.
import { Text } from 'ink';
import type { RunState } from '../store.js';
import { fmtBytes, fmtCount, fmtRateOr, sparkline } from '../format.js';
import { Section } from './section.js';
import { useTheme } from '../hooks.js';

export function ThroughputPanel({ run, width }: { run: RunState; width: number }) {
  const t = useTheme();
  const ended = run.status === 'ended' || run.status === 'error';
  const bytes = run.bytesPerS === undefined ? '-' : `${fmtBytes(run.bytesPerS)}/s`;
  return (
    <Section title="Throughput" right={ended ? '(last)' : undefined} width={width}>
      <Text wrap="truncate">ops/s {fmtRateOr(run.opsPerS)}  bytes/s {bytes}</Text>
      <Text wrap="truncate">completions {fmtCount(run.totals.completed)}  in {(run.elapsedNs / 1e9).toFixed(1)}s</Text>
      <Text color={t.good} wrap="truncate">{sparkline(run.history.map((p) => p.opsPerS), Math.max(1, width - 2)) || ' '}</Text>
    </Section>
  );
}
