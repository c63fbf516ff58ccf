// Latency per opcode (p50/p90/p99/max of the last interval that timed it; the
// whole run once it has ended) and the busiest opcode's histogram.
import { Text } from 'ink';
import { foldBins, type RunState } from '../store.js';
import { bar, fmtCount, fmtNs, pad, padStart } from '../format.js';
import { Section } from './section.js';
import { useTheme } from '../hooks.js';

export function LatencyPanel({ run, width, maxOps = 4, maxBins = 6 }: { run: RunState; width: number; maxOps?: number; maxBins?: number }) {
  const t = useTheme();
  const ops = Object.entries(run.latency).slice(0, maxOps);
  const bins = foldBins(run.hist?.bins ?? [], maxBins);
  const top = Math.max(0, ...bins.map((b) => b.count));
  const barWidth = Math.max(4, width - 20);
  return (
    <Section title="Latency" right={run.status === 'ended' ? '(whole run)' : undefined} width={width}>
      <Text dimColor={t.dim} wrap="truncate">{pad('op', 7)}{['p50', 'p90', 'p99', 'max'].map((h) => padStart(h, 8)).join('')}</Text>
      {ops.length === 0 ? <Text dimColor={t.dim}>no completions timed yet</Text> : null}
      {ops.map(([op, l]) => (
        <Text key={op} wrap="truncate">
          {pad(op, 7)}{[l.p50, l.p90, l.p99, l.max].map((v) => padStart(fmtNs(v), 8)).join('')}
        </Text>
      ))}
      {run.hist ? <Text dimColor={t.dim} wrap="truncate">histogram {run.hist.op} (whole run)</Text> : null}
      {bins.map((b) => (
        <Text key={b.lowNs} wrap="truncate">
          {padStart(`≥${fmtNs(b.lowNs)}`, 9)} <Text color={t.good}>{pad(bar(b.count, top, barWidth), barWidth)}</Text> {fmtCount(b.count)}
        </Text>
      ))}
    </Section>
  );
}
