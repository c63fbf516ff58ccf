// A fake snapshot stream for the TUI component tests: hand-built Summaries
// with known numbers, and a Controller that records what it was asked.
import type { Summary } from '../tracers/summary.js';
import type { Controller, RunConfig, Strategy } from '../tui/controller.js';

export function summary(over: Partial<Summary> & { completed?: number; cancelled?: number; errors?: number; op?: string } = {}): Summary {
  const op = over.op ?? 'READ';
  const completed = over.completed ?? 1000;
  const z = { voluntary: 0, involuntary: 0, offCpuNs: 0, onCpuNs: 0 };
  const s: Summary = {
    type: 'interval',
    durationNs: 1e9,
    requests: {
      [op]: {
        submitted: completed, completed, errors: over.errors ?? 0, cancelled: over.cancelled ?? 0,
        latencyNs: { count: completed, p50: 2500, p90: 4000, p99: 12000, max: 150000 },
      },
    },
    failLinks: over.cancelled ?? 0, reqFailed: 0, cqOverflows: 0, asyncPunts: 0, pollArms: 0,
    taskWork: { adds: 0, runs: 0, localRuns: 0 },
    enter: { calls: 250, toSubmit: 1000, timeNs: 0 },
    ctxSwitches: { ...z, voluntary: 12, involuntary: 3, byThread: { app: { ...z, voluntary: 10, involuntary: 3 }, sqpoll: { ...z }, iowq: { ...z, voluntary: 2 } } },
    drops: 0,
    untracked: { completions: 0, neverCompleted: 0, evicted: 0 },
  };
  const { completed: _c, cancelled: _x, errors: _e, op: _o, ...rest } = over;
  return { ...s, ...rest };
}

export interface FakeController extends Controller {
  calls: { what: string; cfg?: RunConfig; other?: Strategy }[];
}

export function fakeController(): FakeController {
  const calls: FakeController['calls'] = [];
  return {
    calls,
    start: (cfg) => calls.push({ what: 'start', cfg }),
    compare: (cfg, other) => calls.push({ what: 'compare', cfg, other }),
    stop: () => calls.push({ what: 'stop' }),
    dashboard: () => calls.push({ what: 'dashboard' }),
    quit: () => calls.push({ what: 'quit' }),
  };
}

/** Frames without colour codes, to assert exact text. */
export function plain(frame: string | undefined): string {
  // eslint-disable-next-line no-control-regex
  return (frame ?? '').replace(/\x1b\[[0-9;]*m/g, '');
}

export const tick = (ms = 30) => new Promise((r) => setTimeout(r, ms));
