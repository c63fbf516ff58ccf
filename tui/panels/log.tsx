// The notable-event log: first cancellation, errors with errno names, drops,
// how runs ended. Newest last, as many as fit.
import { Text } from 'ink';
import type { LogEntry } from '../store.js';
import { Section } from './section.js';
import { useTheme } from '../hooks.js';

export function LogPanel({ log, width, rows }: { log: LogEntry[]; width: number; rows: number }) {
  const t = useTheme();
  const shown = log.slice(-Math.max(1, rows));
  const colour = (l: LogEntry['level']) => (l === 'error' ? t.bad : l === 'warn' ? t.warn : undefined);
  return (
    <Section title="Events" width={width}>
      {shown.length === 0 ? <Text dimColor={t.dim}>nothing notable yet</Text> : null}
      {shown.map((e, i) => (
        <Text key={i} wrap="truncate" color={colour(e.level)}>
          {`${e.t.toFixed(1).padStart(6)}s ${e.text}`}
        </Text>
      ))}
    </Section>
  );
}
