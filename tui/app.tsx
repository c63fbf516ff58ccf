// The interactive session: setup (workload, strategy, controls), the live
// panels, the compare view and the help overlay. Keys become actions (keys.ts)
// and actions state + a command (setup-reducer.ts); this file renders and runs the command.
// Data comes only from the store (useStore); actions go to the Controller.
import { useContext, useEffect, useRef, useState } from 'react';
import { Box, Text, useInput } from 'ink';
import type { Controller, RunConfig, Strategies, WorkloadItem } from './controller.js';
import { policyApplies } from './controller.js';
import { StoreContext, useStore, useTerminalSize, useTheme } from './hooks.js';
import { actionOf, eachKey, type Action } from './keys.js';
import { Header, HelpOverlay, StatusLine } from './panels/chrome.js';
import { ComparePanel, comparePolicyRows } from './panels/compare.js';
import { LogPanel } from './panels/log.js';
import { SetupScreen } from './panels/setup.js';
import { contentRows, LivePanels, policyStatRows } from './layout.js';
import { policyRows } from './panels/policy.js';
import { policyLabel } from './policy-stats.js';
import { reduce, type Screen, type SetupContext, type SetupState } from './setup-reducer.js';

export type { Screen } from './setup-reducer.js';

export interface AppProps {
  controller: Controller;
  /** `workload`: the chain workloads; `top`: attached to processes, no setup. */
  mode: 'workload' | 'top';
  /** What `top` is attached to ("pid 1234"). */
  topLabel?: string;
  workloads?: WorkloadItem[];
  strategies?: Strategies;
  initial?: RunConfig;
  /** C policies the o key steps through after "none": the built-ins, and the --policy file. */
  policies?: string[];
  /** Where to open (the live panels when coming back from the dashboard mid-run). */
  initialScreen?: Screen;
}

// Used only when the caller did not ask the doctor (component tests).
const NO_STRATEGIES: Strategies = { link: { ok: true }, user: { ok: true }, bpf: { ok: true } };

export function App(props: AppProps) {
  const store = useContext(StoreContext)!;
  const state = useStore();
  const theme = useTheme();
  const { columns, rows } = useTerminalSize();
  const workloads = props.workloads ?? [];
  const strategies = props.strategies ?? NO_STRATEGIES;
  const [ui, setUi] = useState<SetupState>(() => ({
    cfg: props.initial ?? { workload: workloads[0]?.name ?? '', strategy: 'link', concurrency: 16, durationS: 10 },
    screen: props.mode === 'top' ? 'live' : props.initialScreen ?? 'setup',
    help: false,
  }));
  // reduce (setup-reducer.ts) runs here, in the key handler, not as a useReducer
  // reducer: its command must run exactly once per key, and several keys can
  // arrive in one read (a paste, tmux send-keys), each seeing the one before.
  const uiRef = useRef(ui);
  const ctx: SetupContext = { mode: props.mode, workloads, strategies, policies: props.policies };

  const act = (a: Action) => {
    const { state: next, command } = reduce(uiRef.current, a, ctx);
    uiRef.current = next;
    setUi(next);
    switch (command?.kind) {
      case 'quit': return props.controller.quit();
      case 'pause': return store.setPaused(!state.paused);
      case 'dashboard': return props.controller.dashboard?.();
      case 'stop': return props.controller.stop();
      case 'start': return props.controller.start(command.cfg);
      case 'compare': return props.controller.compare(command.cfg, command.other);
    }
  };

  useInput((input, key) => eachKey(input, key, actionOf, act));
  // "[ready]" only once keys are read: ink turns raw mode on in useInput's effect, which runs
  // before this one; a key typed earlier reaches the cooked tty as a newline, not Enter.
  const [keysLive, setKeysLive] = useState(false);
  useEffect(() => setKeysLive(true), []);
  const { cfg, screen, help, flash } = ui;
  const selected = Math.max(0, workloads.findIndex((w) => w.name === cfg.workload));

  // One row short of the screen: ink redraws a frame as tall as the terminal by clearing it, which flickers.
  const height = Math.max(10, rows - 1);
  const body = height - 2;
  const run = state.runs[state.runs.length - 1];
  const title =
    props.mode === 'top'
      ? `top ${props.topLabel ?? ''}`
      : screen === 'compare' && state.runs.length > 0
        ? `compare ${state.runs[0].workload ?? ''}`
        : run && screen !== 'setup'
          ? run.label
          : `${cfg.workload} · ${cfg.strategy}${policyApplies(cfg) ? ` · policy ${policyLabel(cfg.policy!)}` : ''}`;

  let content;
  if (help) content = <HelpOverlay width={columns} />;
  else if (screen === 'setup' && props.mode === 'workload') {
    content = <SetupScreen items={workloads} selected={selected} strategies={strategies} cfg={cfg} width={columns} rows={Math.min(body - 6, workloads.length + 1)} />;
  } else if (screen === 'compare') {
    content = state.runs.length ? <ComparePanel a={state.runs[0]} b={state.runs[1]} width={columns} /> : <Text>starting…</Text>;
  } else if (run) {
    content = <LivePanels run={run} width={columns} rows={body} withThreads={props.mode === 'top'} />;
  } else {
    content = <Text dimColor={theme.dim}>{props.mode === 'top' ? 'attaching…' : 'no run yet: Enter starts one'}</Text>;
  }
  const shown = screen === 'setup' && props.mode === 'workload' ? 'setup' : screen === 'compare' ? 'compare' : props.mode === 'top' ? 'top' : 'live';
  // A C policy's panel (live) or rows (compare) take room from the log.
  const extra = shown === 'live' && run ? policyRows(run, policyStatRows(body)) : shown === 'compare' ? comparePolicyRows(state.runs) : 0;
  const logRows = help ? 0 : Math.max(2, Math.min(6, body - contentRows(shown, body, state.runs.length, extra) - 1));

  return (
    <Box flexDirection="column" width={columns} height={height}>
      <Header title={title} run={screen === 'setup' ? undefined : run} paused={state.paused} width={columns} word={keysLive ? undefined : 'starting'} />
      {content}
      <Box flexGrow={1} />
      {logRows > 0 ? <LogPanel log={state.log} width={columns} rows={logRows} /> : null}
      {flash ? <Text color={theme.bad} wrap="truncate">{flash}</Text> : null}
      <StatusLine width={columns} screen={props.mode === 'top' ? 'top' : screen} />
    </Box>
  );
}
