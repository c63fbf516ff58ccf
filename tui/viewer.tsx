// The player screen of `uringscope view`: the live panels of one recording as
// it plays (or the compare view of two), the event log, and a status line with
// the position, the length and the speed. Data comes only from the store (the
// player feeds it); keys go to the ViewController.
import { useState } from 'react';
import { Box, Text, useInput } from 'ink';
import type { ViewController } from './controller.js';
import { useStore, useTerminalSize, useTheme } from './hooks.js';
import { eachKey, VIEW_BINDINGS, viewActionOf, type ViewAction } from './keys.js';
import { contentRows, LivePanels } from './layout.js';
import { Header, HelpOverlay, StatusLine } from './panels/chrome.js';
import { ComparePanel } from './panels/compare.js';
import { LogPanel } from './panels/log.js';
import type { Playback } from './store.js';

/** 0.25 → "0.25×", 2 → "2×". */
export function fmtSpeed(x: number): string {
  return `${x}×`;
}

/** "1.0s / 2.1s  1×  interval 1/2": where the playback stands. */
export function positionText(p: Playback): string {
  return `${(p.positionNs / 1e9).toFixed(1)}s / ${(p.totalNs / 1e9).toFixed(1)}s  ${fmtSpeed(p.speed)}  interval ${p.index}/${p.count}`;
}

export function Viewer({ controller }: { controller: ViewController }) {
  const state = useStore();
  const theme = useTheme();
  const { columns, rows } = useTerminalSize();
  const [help, setHelp] = useState(false);
  const pb = controller.playback;

  const act = (a: ViewAction) => {
    if (a === 'quit') return controller.quit();
    if (a === 'help') return setHelp(!help);
    if (a === 'close') return setHelp(false);
    if (a === 'dashboard') return controller.dashboard?.();
    if (!pb) return;
    switch (a) {
      case 'pause': return pb.toggle();
      case 'back': return pb.seek(-1);
      case 'forward': return pb.seek(1);
      case 'backMore': return pb.seek(-10);
      case 'forwardMore': return pb.seek(10);
      case 'faster': return pb.faster();
      case 'slower': return pb.slower();
    }
  };
  useInput((input, key) => eachKey(input, key, viewActionOf, act));

  // One row short of the screen, as in app.tsx (a frame as tall as the terminal flickers).
  const height = Math.max(10, rows - 1);
  const body = height - 2;
  const compare = state.runs.length > 1;
  const run = state.runs.at(-1);
  const p = state.playback;
  const title = compare ? 'view A B' : `view ${run ? run.label : ''}`;

  let content;
  if (help) content = <HelpOverlay width={columns} bindings={VIEW_BINDINGS} />;
  else if (compare) content = <ComparePanel a={state.runs[0]} b={state.runs[1]} width={columns} />;
  else if (run) content = <LivePanels run={run} width={columns} rows={body} withThreads={!!run.threads?.length} />;
  else content = <Text dimColor={theme.dim}>reading the recording…</Text>;
  const logRows = help ? 0 : Math.max(2, Math.min(6, body - contentRows(compare ? 'compare' : 'live', body, state.runs.length) - 1));

  return (
    <Box flexDirection="column" width={columns} height={height}>
      <Header title={title} run={compare ? undefined : run} paused={false} word={compare ? 'recorded' : p?.state} width={columns} />
      {content}
      <Box flexGrow={1} />
      {logRows > 0 ? <LogPanel log={state.log} width={columns} rows={logRows} /> : null}
      <StatusLine width={columns} screen={compare ? 'view-compare' : 'view'} lead={!compare && p ? positionText(p) : undefined} />
    </Box>
  );
}
