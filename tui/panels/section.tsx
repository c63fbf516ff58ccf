// A titled block: one bold title row, no border, so 80x24 keeps its rows for numbers.
import type { ReactNode } from 'react';
import { Box, Text } from 'ink';
import { useTheme } from '../hooks.js';

export function Section(props: { title: string; width?: number | string; children: ReactNode; right?: string }) {
  const t = useTheme();
  return (
    <Box flexDirection="column" width={props.width} paddingRight={1}>
      <Text bold color={t.accent} wrap="truncate">
        {props.title}
        {props.right ? <Text dimColor={t.dim}> {props.right}</Text> : null}
      </Text>
      {props.children}
    </Box>
  );
}
