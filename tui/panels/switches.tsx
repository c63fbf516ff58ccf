// Context switches per thread kind: the app thread, its SQPOLL thread, io-wq
// workers. Voluntary ones are the wake-ups a strategy makes the app pay.
import { Text } from 'ink';
import type { RunState } from '../store.js';
import { fmtCount, pad, padStart } from '../format.js';
import { Section } from './section.js';
import { useTheme } from '../hooks.js';

export function SwitchesPanel({ run, width }: { run: RunState; width: number }) {
  const t = useTheme();
  const s = run.totals.switches;
  return (
    <Section title="Context switches" width={width}>
      <Text dimColor={t.dim} wrap="truncate">{pad('thread', 8)}{padStart('voluntary', 11)}{padStart('involuntary', 13)}</Text>
      {(['app', 'sqpoll', 'iowq'] as const).map((k) => (
        <Text key={k} wrap="truncate">
          {pad(k, 8)}{padStart(fmtCount(s[k].voluntary), 11)}{padStart(fmtCount(s[k].involuntary), 13)}
        </Text>
      ))}
    </Section>
  );
}
