// The header (what runs, its state), the status line with the keys, and the help overlay.
import { Box, Text } from 'ink';
import type { RunState } from '../store.js';
import { BINDINGS, statusKeys, VIEW_BINDINGS, type Binding, type StatusScreen as KeyScreen } from '../keys.js';
import { pad } from '../format.js';
import { useTheme } from '../hooks.js';

export function statusWord(run: RunState | undefined, paused: boolean): string {
  if (paused) return 'paused';
  if (!run) return 'ready';
  return run.status;
}

/** `word` replaces the run's state in brackets (the player says playing / paused / ended). */
export function Header({ title, run, paused, width, word: given }: { title: string; run?: RunState; paused: boolean; width: number; word?: string }) {
  const t = useTheme();
  const word = given ?? statusWord(run, paused);
  const colour = word === 'running' || word === 'playing' ? t.good : word === 'error' ? t.bad : word === 'paused' ? t.warn : t.accent;
  return (
    <Box width={width}>
      <Text wrap="truncate">
        <Text bold>uringscope</Text> {title} <Text color={colour} bold>[{word}]</Text>
        {run ? ` ${(run.elapsedNs / 1e9).toFixed(1)}s` : ''}
        {run?.endNote ? ` — ${run.endNote}` : ''}
      </Text>
    </Box>
  );
}

export type StatusScreen = KeyScreen | 'compare';

export function StatusLine({ width, screen, lead }: { width: number; screen: StatusScreen; lead?: string }) {
  // The compare view takes the live panels' keys; the player's screens read the player's table.
  const view = screen === 'view' || screen === 'view-compare';
  const keys = statusKeys(view ? VIEW_BINDINGS : BINDINGS, screen === 'compare' ? 'live' : screen);
  return (
    <Text inverse wrap="truncate">
      {pad(lead ? ` ${lead} │ ${keys}` : ` ${keys}`, width)}
    </Text>
  );
}

export function HelpOverlay({ width, bindings = BINDINGS }: { width: number; bindings?: readonly Binding<string>[] }) {
  const t = useTheme();
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={t.accent} width={Math.min(width, 78)} paddingX={1}>
      <Text bold color={t.accent}>Keys (? or Esc closes)</Text>
      {bindings.map((b) => (
        <Text key={b.keys} wrap="truncate">
          <Text bold>{pad(b.keys, 11)}</Text>{b.what}
        </Text>
      ))}
    </Box>
  );
}
