// A C policy in the interactive session, as components on a fake snapshot
// stream: the setup screen's policy choice (and why it does not apply under
// link), the Policy panel's counters and rates, us_emit records in the event
// log with their rate limit, the compare rows, the dashboard's table, and the
// whole screen at 80x24. The real run is in tui-e2e.test.ts.
import type { ReactElement } from 'react';
import { render } from 'ink-testing-library';
import { App, type AppProps } from '../../tui/app.js';
import { StoreContext, ThemeContext } from '../../tui/hooks.js';
import { policyNumbers, policyTable } from '../../tui/policy-stats.js';
import { POLICY_EVENTS_LOGGED, Store } from '../../tui/store.js';
import { makeTheme } from '../../tui/theme.js';
import type { Strategies, WorkloadItem } from '../../tui/controller.js';
import type { EngineProgress } from '../../core/engine-result.js';
import { fakeController, plain, summary, tick } from '../tui-fixtures.js';
import { renderSized } from '../tui-sized.js';

const WORKLOADS: WorkloadItem[] = [
  { name: 'nop-chain', description: 'NOPs' },
  { name: 'short-read', description: 'short reads' },
];
const ALL: Strategies = { link: { ok: true }, user: { ok: true }, bpf: { ok: true } };
const POLICIES = ['copy', 'short-read', 'test/policies/drop-emit.c'];

function tree(store: Store, over: Partial<AppProps> = {}) {
  const controller = fakeController();
  const props: AppProps = {
    controller, mode: 'workload', workloads: WORKLOADS, strategies: ALL, policies: POLICIES,
    initial: { workload: 'nop-chain', strategy: 'bpf', concurrency: 16, durationS: 0, policy: 'test/policies/drop-emit.c' }, ...over,
  };
  const el: ReactElement = (
    <ThemeContext.Provider value={makeTheme({ NO_COLOR: '1' })}>
      <StoreContext.Provider value={store}>
        <App {...props} />
      </StoreContext.Provider>
    </ThemeContext.Provider>
  );
  return { el, controller };
}

function mount(store: Store, over: Partial<AppProps> = {}) {
  const { el, controller } = tree(store, over);
  const r = render(el);
  return { ...r, controller, frame: () => plain(r.lastFrame()) };
}

async function keys(stdin: { write(s: string): void }, ...ks: string[]) {
  for (const k of ks) {
    stdin.write(k);
    await tick();
  }
}

/** What the engine reports while drop-emit.c runs under bpf: its own counters and the policy's. */
function bpfProgress(chains: number, over: Record<string, number> = {}): EngineProgress {
  return {
    chains, steps: 2 * chains, bytes: 0, resubmits: 0, cancelled: chains, enterCalls: 1,
    policy: {
      invocations: 4 * chains, stepsIssued: 4 * chains, sqFullParks: 0, wakeups: 1, budgetStops: 0,
      emits: chains, emitsLost: 0, policyCancels: chains, 'stat.dropped': chains, 'stat.linked_nops': 2 * chains, ...over,
    },
  };
}

/** The same numbers as strategy user reports them: no in-kernel counters. */
function userProgress(chains: number): EngineProgress {
  return {
    chains, steps: 2 * chains, bytes: 0, resubmits: 0, cancelled: chains, enterCalls: chains / 4,
    policy: { budgetStops: 0, emits: chains, policyCancels: chains, 'stat.dropped': chains, 'stat.linked_nops': 2 * chains },
  };
}

function policyRun(store: Store, strategy: 'user' | 'bpf' = 'bpf', replace = true) {
  const id = store.begin({ label: `nop-chain · ${strategy} · policy drop-emit.c`, workload: 'nop-chain', strategy, stepsPerChain: 8, policy: 'drop-emit.c' }, replace);
  store.started(id);
  return id;
}

describe('setup screen with --policy', () => {
  test('the policy is named in the title and the controls; o steps through none, the built-ins and the file', async () => {
    const { frame, stdin, unmount } = mount(new Store());
    await tick();
    expect(frame()).toContain('uringscope nop-chain · bpf · policy drop-emit.c [ready]');
    expect(frame()).toContain('policy drop-emit.c (o)');
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      await keys(stdin, 'o');
      seen.push(/policy (\S+) \(o\)/.exec(frame())![1]);
    }
    expect(seen).toEqual(['none', 'copy', 'short-read', 'drop-emit.c']);
    expect(frame()).toContain('uringscope nop-chain · bpf · policy drop-emit.c [ready]');
    unmount();
  });

  test('under link it says the policy does not apply, and Enter still starts (the kernel links decide)', async () => {
    const { frame, stdin, controller, unmount } = mount(new Store());
    await keys(stdin, '1');
    const f = frame();
    expect(f).toContain('policy drop-emit.c: not under link (kernel links');
    expect(f).toContain('decide) (o)');
    expect(f).toContain('uringscope nop-chain · link [ready]');
    await keys(stdin, '\r');
    expect(controller.calls).toEqual([{ what: 'start', cfg: { workload: 'nop-chain', strategy: 'link', concurrency: 16, durationS: 0, policy: 'test/policies/drop-emit.c' } }]);
    unmount();
  });

  test('Enter under bpf and c (user, then bpf) both carry the policy', async () => {
    const { stdin, controller, unmount } = mount(new Store());
    await keys(stdin, '\r');
    const { stdin: s2, controller: c2, unmount: u2 } = mount(new Store());
    await keys(s2, 'c');
    expect(controller.calls[0]).toMatchObject({ what: 'start', cfg: { strategy: 'bpf', policy: 'test/policies/drop-emit.c' } });
    expect(c2.calls[0]).toMatchObject({ what: 'compare', cfg: { strategy: 'user', policy: 'test/policies/drop-emit.c' }, other: 'bpf' });
    unmount();
    u2();
  });

  test('without a policy nothing changes: "policy none"', async () => {
    const { frame, unmount } = mount(new Store(), { initial: { workload: 'nop-chain', strategy: 'link', concurrency: 16, durationS: 10 } });
    await tick();
    expect(frame()).toContain('uringscope nop-chain · link [ready]');
    expect(frame()).toContain('policy none (o)');
    unmount();
  });
});

describe('the Policy panel', () => {
  test('bpf: the policy\'s counters, then their rate per second once an interval has passed', async () => {
    const store = new Store(() => 0);
    const id = policyRun(store);
    const { frame, stdin, unmount } = mount(store);
    await keys(stdin, '\t');
    store.progress(id, bpfProgress(1000));
    await tick();
    let f = frame();
    expect(f).toContain('uringscope nop-chain · bpf · policy drop-emit.c [running]');
    expect(f).toContain('Policy emits 1000  cancels 1000');
    expect(f).toContain('dropped         1000\n');
    expect(f).toContain('linked_nops     2000\n');
    expect(f).toContain('bpf: 4000 steps in-kernel  parks 0  wake 1');

    store.interval(id, summary({ op: 'NOP', completed: 4000, durationNs: 500e6 }));
    store.progress(id, bpfProgress(3000));
    store.interval(id, summary({ op: 'NOP', completed: 4000, durationNs: 500e6 }));
    await tick();
    f = frame();
    // 1000 at the first interval (over 0.5 s), 3000 at the second: 2000 more in 0.5 s.
    expect(f).toContain('dropped         3000    4000/s');
    expect(f).toContain('linked_nops     6000    8000/s');
    expect(f).toContain('Policy emits 3000  cancels 3000');
    unmount();
  });

  test('user: the same panel, and no in-kernel line', async () => {
    const store = new Store(() => 0);
    const id = policyRun(store, 'user');
    const { frame, stdin, unmount } = mount(store);
    await keys(stdin, '\t');
    store.progress(id, userProgress(500));
    store.interval(id, summary({ op: 'NOP', completed: 1000 }));
    await tick();
    const f = frame();
    expect(f).toContain('Policy emits 500  cancels 500');
    expect(f).toContain('dropped          500     500/s');
    expect(f).toContain('linked_nops     1000    1000/s');
    expect(f).not.toContain('steps in-kernel');
    unmount();
  });

  test('records lost to a full ring buffer are counted in the title', async () => {
    const store = new Store(() => 0);
    const id = policyRun(store);
    const { frame, stdin, unmount } = mount(store);
    await keys(stdin, '\t');
    store.progress(id, bpfProgress(50000, { emits: 10928, emitsLost: 39072 }));
    await tick();
    expect(frame()).toContain('Policy emits 10.9k  cancels 50.0k  lost 39.1k');
    unmount();
  });

  test('more counters than rows: the last row says how many are not shown', async () => {
    const store = new Store(() => 0);
    const id = policyRun(store);
    const { frame, stdin, unmount } = mount(store);
    await keys(stdin, '\t');
    const many: Record<string, number> = {};
    for (const n of ['a1', 'a2', 'a3', 'a4', 'a5', 'a6']) many[`stat.${n}`] = 1;
    store.progress(id, bpfProgress(10, many));
    await tick();
    // 100x24: two counter rows, the second one is the note.
    const f = frame();
    expect(f).toContain('dropped        10\n');
    expect(f).toContain('+7 more counters (run --json has all)');
    expect(f).not.toContain('linked_nops');
    unmount();
  });

  test('a run without a policy has no Policy panel', async () => {
    const store = new Store(() => 0);
    const id = store.begin({ label: 'nop-chain · bpf', workload: 'nop-chain', strategy: 'bpf' });
    const { frame, stdin, unmount } = mount(store);
    await keys(stdin, '\t');
    store.progress(id, bpfProgress(10));
    await tick();
    expect(frame()).not.toContain('Policy');
    expect(frame()).toContain('bpf: 40 steps in-kernel');
    unmount();
  });
});

describe('policy events in the log', () => {
  const ev = (chain: number) => ({ chain, kind: 7, a: chain, b: 1 });

  test('the first records one line each, then one line counting the rest, updated in place', async () => {
    const store = new Store(() => 0);
    const id = policyRun(store);
    for (let c = 0; c < POLICY_EVENTS_LOGGED; c++) store.policyEvent(id, ev(c));
    const lines = () => store.getState().log.map((e) => e.text);
    expect(lines()).toEqual(Array.from({ length: POLICY_EVENTS_LOGGED }, (_, c) => `policy event kind=7 chain=${c} a=${c} b=1`));
    store.policyEvent(id, ev(8));
    store.note('info', 'something else');
    for (let c = 9; c < 1000; c++) store.policyEvent(id, ev(c));
    expect(lines().slice(POLICY_EVENTS_LOGGED)).toEqual(['… 992 more policy events not logged', 'something else']);

    // A second run counts its own.
    const id2 = policyRun(store, 'user', false);
    store.policyEvent(id2, ev(12));
    expect(lines().at(-1)).toBe('policy event kind=7 chain=12 a=12 b=1');
  });

  test('the event log shows them with their time; one "more" line', async () => {
    let now = 0;
    const store = new Store(() => now);
    const id = policyRun(store);
    const { frame, stdin, unmount } = mount(store);
    await keys(stdin, '\t');
    now = 1500;
    for (let c = 0; c < 9; c++) store.policyEvent(id, ev(c));
    now = 2500;
    store.policyEvent(id, ev(9));
    await tick();
    const f = frame();
    expect(f).toContain('  1.5s policy event kind=7 chain=7 a=7 b=1');
    expect(f).toContain('  1.5s … 2 more policy events not logged');
    expect(f.split('more policy events').length - 1).toBe(1);
    unmount();
  });
});

describe('compare with a policy', () => {
  test('the policy\'s counters and emits side by side; the link run has none', async () => {
    const store = new Store(() => 0);
    const { frame, stdin, unmount } = mount(store, { initial: { workload: 'nop-chain', strategy: 'link', concurrency: 16, durationS: 0, policy: 'drop-emit.c' } });
    await keys(stdin, 'c');
    const a = store.begin({ label: 'nop-chain · link', workload: 'nop-chain', strategy: 'link' });
    store.interval(a, summary({ op: 'NOP', completed: 1000 }));
    store.end(a, { note: 'finished' });
    const b = policyRun(store, 'bpf', false);
    store.progress(b, bpfProgress(2000));
    store.interval(b, summary({ op: 'NOP', completed: 2000 }));
    await tick();
    const f = frame();
    expect(f).toContain('Compare nop-chain · policy drop-emit.c ratio = bpf/link');
    expect(f).toMatch(/dropped\s+-\s+2000\s+-/);
    expect(f).toMatch(/linked_nops\s+-\s+4000\s+-/);
    expect(f).toMatch(/policy emits\s+-\s+2000\s+-/);
    expect(f.split('\n').length).toBeLessThanOrEqual(23); // 24 rows (the harness's height), one kept free
    expect(f).toContain('Events');
    unmount();
  });
});

describe('the dashboard\'s policy table', () => {
  test('a C policy: its counters with rates, emits, cancels; the bpf interpreter; kernel links', () => {
    const p = policyNumbers(bpfProgress(100, { emitsLost: 3 }).policy)!;
    p.stats[0].perS = 250;
    expect(policyTable({ policy: 'drop-emit.c', policyNumbers: p })).toEqual({
      label: 'policy drop-emit.c',
      rows: [['dropped', '100', '250'], ['linked_nops', '200', ''], ['emits', '100', ''], ['cancels', '100', ''], ['emits lost', '3', '']],
    });
    expect(policyTable({ strategy: 'bpf', engine: { policy: { stepsIssued: 4000, sqFullParks: 2, wakeups: 1 } } })).toEqual({
      label: 'policy (bpf, in-kernel)',
      rows: [['steps in-kernel', '4000', ''], ['SQ-full parks', '2', ''], ['wakeups', '1', '']],
    });
    expect(policyTable({ strategy: 'link' }).rows).toEqual([['kernel links', '', '']]);
  });
});

describe('80x24', () => {
  test('a bpf run with a policy: every panel, the Policy counters and the policy events fit', async () => {
    const store = new Store(() => 0);
    const id = policyRun(store);
    const { el } = tree(store);
    const r = renderSized(el, 80, 24);
    await tick();
    r.stdin.write('\t');
    await tick();
    store.progress(id, bpfProgress(1000));
    store.interval(id, summary({ op: 'NOP', completed: 4000 }));
    for (let c = 0; c < 20; c++) store.policyEvent(id, { chain: c, kind: 7, a: c, b: 1 });
    await tick();
    const f = plain(r.lastFrame());
    const lines = f.split('\n');
    expect(lines.length).toBeLessThanOrEqual(23);
    for (const l of lines) expect([...l].length).toBeLessThanOrEqual(80);
    for (const t of ['Throughput', 'Cancellations & failures', 'Latency', 'Syscalls', 'Policy', 'Context switches', 'Events']) {
      expect(f.split(t).length - 1).toBe(1);
    }
    expect(f).toContain('dropped         1000    1000/s');
    expect(f).toContain('linked_nops     2000    2000/s');
    expect(f).toContain('policy event kind=7 chain=7 a=7 b=1');
    expect(f).toContain('… 12 more policy events not logged');
    expect(lines.at(-1)).toMatch(/^ x stop p pause/);
    r.unmount();
  });
});
