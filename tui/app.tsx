// The interactive session: setup (workload, strategy, controls), the live
// panels, the compare view and the help overlay, driven by one key handler.
// Data comes only from the store (useStore); actions go to the Controller.
import { useContext, useEffect, useRef, useState } from 'react';
import { Box, Text, useInput } from 'ink';
import type { Controller, RunConfig, Strategies, Strategy, WorkloadItem } from './controller.js';
import { policyApplies, STRATEGIES } from './controller.js';
import { StoreContext, useStore, useTerminalSize, useTheme } from './hooks.js';
import { actionOf, DURATIONS, eachKey, type Action } from './keys.js';
import { Header, HelpOverlay, StatusLine } from './panels/chrome.js';
import { ComparePanel, comparePolicyRows } from './panels/compare.js';
import { LogPanel } from './panels/log.js';
import { SetupScreen } from './panels/setup.js';
import { contentRows, LivePanels, policyStatRows } from './layout.js';
import { policyRows } from './panels/policy.js';
import { policyLabel } from './policy-stats.js';

export type Screen = 'setup' | 'live' | 'compare';

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

/** none → each policy → none. */
function nextPolicy(cur: string | undefined, list: readonly string[]): string | undefined {
  const i = cur === undefined ? -1 : list.indexOf(cur);
  return i + 1 < list.length ? list[i + 1] : undefined;
}

function nextStrategy(cur: Strategy, step: number): Strategy {
  const i = STRATEGIES.indexOf(cur);
  return STRATEGIES[(i + step + STRATEGIES.length) % STRATEGIES.length];
}

export function App(props: AppProps) {
  const store = useContext(StoreContext)!;
  const state = useStore();
  const theme = useTheme();
  const { columns, rows } = useTerminalSize();
  const workloads = props.workloads ?? [];
  const strategies = props.strategies ?? NO_STRATEGIES;
  const [cfgState, setCfgState] = useState<RunConfig>(props.initial ?? { workload: workloads[0]?.name ?? '', strategy: 'link', concurrency: 16, durationS: 10 });
  // Several keys can arrive in one read (a paste, tmux send-keys): each must see the previous one's effect.
  const cfgRef = useRef(cfgState);
  const setCfg = (c: RunConfig) => {
    cfgRef.current = c;
    setCfgState(c);
  };
  const [screen, setScreen] = useState<Screen>(props.mode === 'top' ? 'live' : props.initialScreen ?? 'setup');
  const [help, setHelp] = useState(false);
  const [flash, setFlash] = useState<string | undefined>();

  const start = (c: RunConfig) => {
    const st = strategies[c.strategy];
    if (!st.ok) return setFlash(`${c.strategy} is unavailable: ${st.reason ?? 'not supported here'}`);
    const w = workloads.find((x) => x.name === c.workload);
    if (w?.error) return setFlash(`${w.name} is unusable: ${w.error}`);
    setFlash(undefined);
    props.controller.start(c);
    setScreen('live');
  };

  const act = (a: Action) => {
    const cfg = cfgRef.current;
    const selected = Math.max(0, workloads.findIndex((w) => w.name === cfg.workload));
    if (a === 'quit') return props.controller.quit();
    if (a === 'help') return setHelp(!help);
    if (help) {
      if (a === 'setup') setHelp(false);
      return;
    }
    if (a === 'pause') return store.setPaused(!state.paused);
    if (a === 'dashboard') return props.controller.dashboard?.();
    if (props.mode === 'top') return;
    switch (a) {
      case 'start': return start(cfg);
      case 'stop': return props.controller.stop();
      case 'compare': {
        // The comparison that matters is against the in-kernel policy: the
        // selected strategy against bpf (user against bpf when bpf is selected);
        // where bpf cannot run, link against user.
        const bpfOk = strategies.bpf.ok;
        const a0: Strategy = cfg.strategy === 'bpf' ? 'user' : cfg.strategy;
        const other: Strategy = bpfOk ? 'bpf' : a0 === 'user' ? 'link' : 'user';
        if (!strategies[a0].ok || !strategies[other].ok) return setFlash('compare needs two strategies that can run here');
        setFlash(undefined);
        props.controller.compare({ ...cfg, strategy: a0 }, other);
        return setScreen('compare');
      }
      case 'setup': return setScreen('setup');
      case 'live': return setScreen(screen === 'setup' ? 'live' : 'setup');
      case 'up':
      case 'down': {
        if (screen !== 'setup' || workloads.length === 0) return;
        const i = (selected + (a === 'up' ? -1 : 1) + workloads.length) % workloads.length;
        return setCfg({ ...cfg, workload: workloads[i].name });
      }
      case 'policy': {
        if (screen !== 'setup') return;
        const list = props.policies ?? (cfg.policy ? [cfg.policy] : []);
        const policy = nextPolicy(cfg.policy, list);
        const { policy: _old, ...rest } = cfg;
        return setCfg(policy ? { ...rest, policy } : rest);
      }
      case 'prevStrategy': return setCfg({ ...cfg, strategy: nextStrategy(cfg.strategy, -1) });
      case 'nextStrategy': return setCfg({ ...cfg, strategy: nextStrategy(cfg.strategy, 1) });
      case 'link': case 'user': case 'bpf': return setCfg({ ...cfg, strategy: a });
      case 'moreConcurrency': return setCfg({ ...cfg, concurrency: Math.min(65536, cfg.concurrency * 2) });
      case 'lessConcurrency': return setCfg({ ...cfg, concurrency: Math.max(1, Math.floor(cfg.concurrency / 2)) });
      case 'longer':
      case 'shorter': {
        const i = DURATIONS.findIndex((d) => d >= cfg.durationS);
        const j = Math.max(0, Math.min(DURATIONS.length - 1, (i < 0 ? DURATIONS.length - 1 : i) + (a === 'longer' ? 1 : -1)));
        return setCfg({ ...cfg, durationS: DURATIONS[j] });
      }
    }
  };

  useInput((input, key) => eachKey(input, key, actionOf, act));
  // "[ready]" only once keys are read: ink turns raw mode on in useInput's effect, which runs
  // before this one; a key typed earlier reaches the cooked tty as a newline, not Enter.
  const [keysLive, setKeysLive] = useState(false);
  useEffect(() => setKeysLive(true), []);
  const cfg = cfgState;
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
