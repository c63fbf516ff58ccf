// Cancellations and failures: -ECANCELED completions (what a broken link
// costs), other errors, broken links, failed requests, CQ overflows, drops.
import { Text } from 'ink';
import type { RunState } from '../store.js';
import { fmtCount, pad, padStart } from '../format.js';
import { Section } from './section.js';
import { useTheme } from '../hooks.js';

function Row({ label, value, colour }: { label: string; value: number; colour?: string }) {
  return (
    <Text wrap="truncate" color={value > 0 ? colour : undefined}>
      {pad(label, 13)}{padStart(fmtCount(value), 8)}
    </Text>
  );
}

export function FailuresPanel({ run, width }: { run: RunState; width: number }) {
  const t = useTheme();
  const x = run.totals;
  return (
    <Section title="Cancellations & failures" width={width}>
      <Row label="cancelled" value={x.cancelled} colour={t.warn} />
      <Row label="errors" value={x.errors} colour={t.bad} />
      <Row label="broken links" value={x.failLinks} colour={t.warn} />
      <Text wrap="truncate">
        {pad('req failed', 13)}{padStart(fmtCount(x.reqFailed), 8)}  CQ overflow {fmtCount(x.cqOverflows)}
      </Text>
      <Row label="drops" value={x.drops} colour={t.bad} />
    </Section>
  );
}
