// The session's key handling as a pure function: the state a key press leaves
// (the run config being set up, the screen, help, a flash message) and the one
// command, if any, the App then gives the Controller or the store. No React
// and no I/O here, so test/unit/setup-reducer.test.ts can drive every key.
import type { RunConfig, Strategies, Strategy, WorkloadItem } from './controller.js';
import { STRATEGIES } from './controller.js';
import { MAX_CONCURRENCY } from '../workloads/schema.js';
import { DURATIONS, type Action } from './keys.js';

export type Screen = 'setup' | 'live' | 'compare';

export interface SetupState {
  cfg: RunConfig;
  screen: Screen;
  help: boolean;
  flash?: string;
}

/** What the reducer cannot change itself: the session it runs in. */
export interface SetupContext {
  mode: 'workload' | 'top';
  workloads: readonly WorkloadItem[];
  strategies: Strategies;
  /** C policies the o key steps through after "none". */
  policies?: readonly string[];
}

export type Command =
  | { kind: 'quit' }
  | { kind: 'pause' }
  | { kind: 'dashboard' }
  | { kind: 'stop' }
  | { kind: 'start'; cfg: RunConfig }
  | { kind: 'compare'; cfg: RunConfig; other: Strategy };

export interface Reduced {
  state: SetupState;
  command?: Command;
}

/** none → each policy → none. */
function nextPolicy(cur: string | undefined, list: readonly string[]): string | undefined {
  const i = cur === undefined ? -1 : list.indexOf(cur);
  return i + 1 < list.length ? list[i + 1] : undefined;
}

function nextStrategy(cur: Strategy, step: number): Strategy {
  const i = STRATEGIES.indexOf(cur);
  return STRATEGIES[(i + step + STRATEGIES.length) % STRATEGIES.length];
}

export function reduce(s: SetupState, a: Action, ctx: SetupContext): Reduced {
  const { cfg } = s;
  const { workloads, strategies } = ctx;
  // A key that changes nothing keeps the same object: React then skips the render.
  const to = (over: Partial<SetupState>, command?: Command): Reduced => ({
    state: Object.keys(over).length ? { ...s, ...over } : s,
    command,
  });
  const withCfg = (c: RunConfig) => to({ cfg: c });
  const flash = (msg: string) => to({ flash: msg });

  if (a === 'quit') return to({}, { kind: 'quit' });
  if (a === 'help') return to({ help: !s.help });
  if (s.help) return a === 'setup' ? to({ help: false }) : to({});
  if (a === 'pause') return to({}, { kind: 'pause' });
  if (a === 'dashboard') return to({}, { kind: 'dashboard' });
  if (ctx.mode === 'top') return to({});
  switch (a) {
    case 'start': {
      const st = strategies[cfg.strategy];
      if (!st.ok) return flash(`${cfg.strategy} is unavailable: ${st.reason ?? 'not supported here'}`);
      const w = workloads.find((x) => x.name === cfg.workload);
      if (w?.error) return flash(`${w.name} is unusable: ${w.error}`);
      return to({ flash: undefined, screen: 'live' }, { kind: 'start', cfg });
    }
    case 'stop': return to({}, { kind: 'stop' });
    case 'compare': {
      // The comparison that matters is against the in-kernel policy: the
      // selected strategy against bpf (user against bpf when bpf is selected);
      // where bpf cannot run, link against user.
      const a0: Strategy = cfg.strategy === 'bpf' ? 'user' : cfg.strategy;
      const other: Strategy = strategies.bpf.ok ? 'bpf' : a0 === 'user' ? 'link' : 'user';
      if (!strategies[a0].ok || !strategies[other].ok) return flash('compare needs two strategies that can run here');
      return to({ flash: undefined, screen: 'compare' }, { kind: 'compare', cfg: { ...cfg, strategy: a0 }, other });
    }
    case 'setup': return to({ screen: 'setup' });
    case 'live': return to({ screen: s.screen === 'setup' ? 'live' : 'setup' });
    case 'up':
    case 'down': {
      if (s.screen !== 'setup' || workloads.length === 0) return to({});
      const selected = Math.max(0, workloads.findIndex((w) => w.name === cfg.workload));
      const i = (selected + (a === 'up' ? -1 : 1) + workloads.length) % workloads.length;
      return withCfg({ ...cfg, workload: workloads[i].name });
    }
    case 'policy': {
      if (s.screen !== 'setup') return to({});
      const policy = nextPolicy(cfg.policy, ctx.policies ?? (cfg.policy ? [cfg.policy] : []));
      const { policy: _old, ...rest } = cfg;
      return withCfg(policy ? { ...rest, policy } : rest);
    }
    case 'prevStrategy': return withCfg({ ...cfg, strategy: nextStrategy(cfg.strategy, -1) });
    case 'nextStrategy': return withCfg({ ...cfg, strategy: nextStrategy(cfg.strategy, 1) });
    case 'link': case 'user': case 'bpf': return withCfg({ ...cfg, strategy: a });
    case 'moreConcurrency': return withCfg({ ...cfg, concurrency: Math.min(MAX_CONCURRENCY, cfg.concurrency * 2) });
    case 'lessConcurrency': return withCfg({ ...cfg, concurrency: Math.max(1, Math.floor(cfg.concurrency / 2)) });
    case 'longer':
    case 'shorter': {
      const i = DURATIONS.findIndex((d) => d >= cfg.durationS);
      const j = Math.max(0, Math.min(DURATIONS.length - 1, (i < 0 ? DURATIONS.length - 1 : i) + (a === 'longer' ? 1 : -1)));
      return withCfg({ ...cfg, durationS: DURATIONS[j] });
    }
  }
  return to({});
}
