// tui/setup-reducer.ts: every key of the setup screen as state + command, no React.
import { checkConcurrency } from '../../cli/flag-bounds.js';
import type { Strategies } from '../../tui/controller.js';
import type { Action } from '../../tui/keys.js';
import { reduce, type SetupContext, type SetupState } from '../../tui/setup-reducer.js';
import { MAX_CONCURRENCY } from '../../workloads/schema.js';

const ALL_OK: Strategies = { link: { ok: true }, user: { ok: true }, bpf: { ok: true } };
const ctx = (over: Partial<SetupContext> = {}): SetupContext => ({
  mode: 'workload',
  workloads: [{ name: 'nop-chain', description: '' }, { name: 'copy', description: '' }, { name: 'bad', description: '', error: 'does not parse' }],
  strategies: ALL_OK,
  policies: ['skip-short', 'retry'],
  ...over,
});
const initial: SetupState = { cfg: { workload: 'nop-chain', strategy: 'link', concurrency: 16, durationS: 10 }, screen: 'setup', help: false };

/** Applies keys in turn, collecting the commands. */
function run(keys: Action[], c = ctx(), s = initial) {
  const commands = [];
  for (const k of keys) {
    const r = reduce(s, k, c);
    s = r.state;
    if (r.command) commands.push(r.command);
  }
  return { state: s, commands };
}

describe('setup reducer', () => {
  test('picking workload, strategy, concurrency, duration and policy', () => {
    const { state, commands } = run(['down', 'nextStrategy', 'moreConcurrency', 'moreConcurrency', 'longer', 'policy']);
    expect(state.cfg).toEqual({ workload: 'copy', strategy: 'user', concurrency: 64, durationS: 20, policy: 'skip-short' });
    expect(commands).toEqual([]);
    expect(run(['up']).state.cfg.workload).toBe('bad'); // wraps around
    expect(run(['prevStrategy']).state.cfg.strategy).toBe('bpf');
    expect(run(['bpf', 'link']).state.cfg.strategy).toBe('link');
    expect(run(['policy', 'policy', 'policy']).state.cfg.policy).toBeUndefined(); // none → each → none
    expect(run(['lessConcurrency'], ctx(), { ...initial, cfg: { ...initial.cfg, concurrency: 1 } }).state.cfg.concurrency).toBe(1);
    expect(run(['shorter', 'shorter', 'shorter', 'shorter', 'shorter', 'shorter']).state.cfg.durationS).toBe(0);
  });

  test('+ stops at the largest concurrency run accepts', () => {
    const top = run(Array<Action>(20).fill('moreConcurrency')).state.cfg.concurrency;
    expect(top).toBe(MAX_CONCURRENCY);
    expect(() => checkConcurrency(top)).not.toThrow();
    expect(run(['moreConcurrency'], ctx(), { ...initial, cfg: { ...initial.cfg, concurrency: MAX_CONCURRENCY } }).state.cfg.concurrency).toBe(MAX_CONCURRENCY);
  });

  test('start: a command and the live screen, or a flash when it cannot run', () => {
    const ok = run(['start']);
    expect(ok.commands).toEqual([{ kind: 'start', cfg: initial.cfg }]);
    expect(ok.state.screen).toBe('live');
    const noBpf = run(['bpf', 'start'], ctx({ strategies: { ...ALL_OK, bpf: { ok: false, reason: 'no BTF' } } }));
    expect(noBpf.commands).toEqual([]);
    expect(noBpf.state).toMatchObject({ screen: 'setup', flash: 'bpf is unavailable: no BTF' });
    expect(run(['up', 'start']).state.flash).toBe('bad is unusable: does not parse');
    expect(run(['up', 'start', 'down', 'start']).state.flash).toBeUndefined(); // cleared by the next start
  });

  test('compare: selected against bpf, user against bpf, link against user without bpf', () => {
    expect(run(['compare']).commands).toEqual([{ kind: 'compare', cfg: { ...initial.cfg, strategy: 'link' }, other: 'bpf' }]);
    expect(run(['bpf', 'compare']).commands).toEqual([{ kind: 'compare', cfg: { ...initial.cfg, strategy: 'user' }, other: 'bpf' }]);
    const noBpf = ctx({ strategies: { ...ALL_OK, bpf: { ok: false } } });
    expect(run(['compare'], noBpf).commands).toEqual([{ kind: 'compare', cfg: { ...initial.cfg, strategy: 'link' }, other: 'user' }]);
    expect(run(['compare'], noBpf).state.screen).toBe('compare');
    const onlyLink = ctx({ strategies: { link: { ok: true }, user: { ok: false }, bpf: { ok: false } } });
    expect(run(['compare'], onlyLink).state.flash).toBe('compare needs two strategies that can run here');
  });

  test('screens: Tab toggles, Esc/w goes to setup, workload and policy keys only act on setup', () => {
    expect(run(['live']).state.screen).toBe('live');
    expect(run(['live', 'live']).state.screen).toBe('setup');
    const live = run(['start', 'down', 'policy']).state;
    expect(live.cfg.workload).toBe('nop-chain');
    expect(live.cfg.policy).toBeUndefined();
    expect(run(['start', 'setup']).state.screen).toBe('setup');
  });

  test('help swallows keys but quit and help; Esc closes it', () => {
    const { state, commands } = run(['help', 'start', 'down', 'stop', 'pause']);
    expect(state.help).toBe(true);
    expect(state.cfg).toEqual(initial.cfg);
    expect(commands).toEqual([]);
    expect(run(['help', 'setup']).state).toMatchObject({ help: false, screen: 'setup' });
    expect(run(['help', 'help']).state.help).toBe(false);
    expect(run(['help', 'quit']).commands).toEqual([{ kind: 'quit' }]);
  });

  test('commands: stop, pause, dashboard; top mode has no setup', () => {
    expect(run(['stop', 'pause', 'dashboard']).commands.map((c) => c.kind)).toEqual(['stop', 'pause', 'dashboard']);
    const top = run(['start', 'down', 'compare', 'pause', 'quit'], ctx({ mode: 'top' }), { ...initial, screen: 'live' });
    expect(top.commands.map((c) => c.kind)).toEqual(['pause', 'quit']);
    expect(top.state.cfg).toEqual(initial.cfg);
    expect(reduce(initial, 'stop', ctx({ mode: 'top' })).state).toBe(initial); // nothing changed: the same object
  });
});
