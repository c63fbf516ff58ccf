// Component tests on a fake snapshot stream: every panel prints the numbers
// it is given, strategies that cannot run are greyed with their reason, and
// keys do what the help says.
import { render } from 'ink-testing-library';
import { App, type AppProps } from '../../tui/app.js';
import { StoreContext, ThemeContext } from '../../tui/hooks.js';
import { Store } from '../../tui/store.js';
import { makeTheme } from '../../tui/theme.js';
import type { Strategies, WorkloadItem } from '../../tui/controller.js';
import { fakeController, plain, summary, tick } from '../tui-fixtures.js';

const WORKLOADS: WorkloadItem[] = [
  { name: 'copy', description: 'copy a file' },
  { name: 'short-read', description: 'short reads' },
  { name: 'nop-chain', description: 'NOPs' },
];
const STRATEGIES: Strategies = { link: { ok: true }, user: { ok: true }, bpf: { ok: false, reason: 'missing: IORING_SETUP_NO_MMAP | NO_SQARRAY' } };

function mount(store: Store, over: Partial<AppProps> = {}) {
  const controller = fakeController();
  const props: AppProps = {
    controller, mode: 'workload', workloads: WORKLOADS, strategies: STRATEGIES,
    initial: { workload: 'short-read', strategy: 'link', concurrency: 16, durationS: 10 }, ...over,
  };
  const r = render(
    <ThemeContext.Provider value={makeTheme({ NO_COLOR: '1' })}>
      <StoreContext.Provider value={store}>
        <App {...props} controller={props.controller} />
      </StoreContext.Provider>
    </ThemeContext.Provider>,
  );
  return { ...r, controller: props.controller === controller ? controller : controller, frame: () => plain(r.lastFrame()) };
}

/** Sends keys one at a time, as a person types. */
async function keys(stdin: { write(s: string): void }, ...ks: string[]) {
  for (const k of ks) {
    stdin.write(k);
    await tick();
  }
}

describe('setup screen', () => {
  test('lists the workloads, the strategies with the greyed one and its reason, the controls', async () => {
    const { frame, unmount } = mount(new Store());
    expect(frame()).toContain('uringscope short-read · link [starting]'); // keys are not read yet
    await tick();
    const f = frame();
    expect(f).toContain('uringscope short-read · link [ready]');
    expect(f).toContain('> short-read   short reads');
    expect(f).toContain('  copy         copy a file');
    expect(f).toContain('> link');
    expect(f).toContain('  user');
    expect(f).toContain('  bpf (unavailable)');
    expect(f).toContain('    missing: IORING_SETUP_NO_MMAP | NO_SQARRAY');
    expect(f).toContain('concurrency 16 (+/-)');
    expect(f).toContain('duration 10s ([ ])');
    unmount();
  });

  test('keys pick the workload, strategy, concurrency and duration; Enter starts with them', async () => {
    const { frame, stdin, controller, unmount } = mount(new Store());
    await keys(stdin, 'j', '2', '+', ']');
    const f = frame();
    expect(f).toContain('> nop-chain');
    expect(f).toContain('> user');
    expect(f).toContain('concurrency 32');
    expect(f).toContain('duration 20s');
    await keys(stdin, 'k', '\r');
    expect(controller.calls).toEqual([{ what: 'start', cfg: { workload: 'short-read', strategy: 'user', concurrency: 32, durationS: 20 } }]);
    unmount();
  });

  test('a greyed strategy does not start; it says why', async () => {
    const { frame, stdin, controller, unmount } = mount(new Store());
    await keys(stdin, '3', '\r');
    expect(controller.calls).toEqual([]);
    expect(frame()).toContain('bpf is unavailable: missing: IORING_SETUP_NO_MMAP | NO_SQARRAY');
    unmount();
  });

  test('several keys in one read are each handled (a paste, tmux send-keys)', async () => {
    const { stdin, controller, unmount } = mount(new Store());
    await keys(stdin, '2\r');
    expect(controller.calls[0]).toEqual({ what: 'start', cfg: { workload: 'short-read', strategy: 'user', concurrency: 16, durationS: 10 } });
    unmount();
  });

  test('with bpf available, c compares the selected strategy with bpf', async () => {
    const all = { link: { ok: true }, user: { ok: true }, bpf: { ok: true } };
    for (const [strategy, first] of [['link', 'link'], ['user', 'user'], ['bpf', 'user']] as const) {
      const { stdin, controller, unmount } = mount(new Store(), {
        strategies: all,
        initial: { workload: 'short-read', strategy, concurrency: 16, durationS: 10 },
      });
      await keys(stdin, 'c');
      expect(controller.calls[0]).toMatchObject({ what: 'compare', cfg: { strategy: first }, other: 'bpf' });
      unmount();
    }
  });

  test('q quits, ? opens help, c compares link with user when bpf cannot run, x stops', async () => {
    const { frame, stdin, controller, unmount } = mount(new Store());
    await keys(stdin, '?');
    expect(frame()).toContain('Keys (? or Esc closes)');
    expect(frame()).toContain('q/Ctrl-C   quit (stops the run, detaches the tracer)');
    await keys(stdin, '?', 'c', 'x', 'q');
    expect(controller.calls.map((c) => c.what)).toEqual(['compare', 'stop', 'quit']);
    expect(controller.calls[0]).toMatchObject({ cfg: { strategy: 'link' }, other: 'user' });
    unmount();
  });
});

describe('live panels on a fake snapshot stream', () => {
  function running() {
    const store = new Store(() => 0);
    const id = store.begin({ label: 'short-read · link', workload: 'short-read', strategy: 'link' });
    store.started(id);
    return { store, id };
  }

  test('each panel shows the numbers it is given', async () => {
    const { store, id } = running();
    const { frame, stdin, unmount } = mount(store);
    await keys(stdin, '\t');
    store.progress(id, { chains: 500, steps: 2000, bytes: 4_194_304, resubmits: 0, cancelled: 0, enterCalls: 0 });
    store.interval(id, summary({ completed: 2000, cancelled: 500, errors: 3 }));
    await tick();
    const f = frame();
    expect(f).toContain('uringscope short-read · link [running] 1.0s');
    expect(f).toContain('ops/s 2000  bytes/s 4.0MiB/s');
    expect(f).toContain('completions 2000  in 1.0s');
    expect(f).toContain('cancelled         500');
    expect(f).toContain('errors              3');
    expect(f).toContain('broken links      500');
    expect(f).toContain('req failed          0  CQ overflow 0');
    expect(f).toContain('drops               0');
    expect(f).toContain('READ     2.50µs  4.00µs  12.0µs 150.0µs');
    expect(f).toContain('io_uring_enter 250  (250/s)');
    expect(f).toContain('per step 0.13  reqs/enter 4.00');
    expect(f).toContain('app              10            3');
    expect(f).toContain('iowq              2            0');
    expect(f).toContain('first cancellation (-ECANCELED) on READ');
    expect(f).toContain('first failed completions: READ ×3');
    unmount();
  });

  test('a ring driven by io_uring bpf-ops: its program, steps, time per step and SQEs, summed over intervals', async () => {
    const { store, id } = running();
    const { frame, stdin, unmount } = mount(store);
    await keys(stdin, '\t');
    const ops = (steps: number, runNs: number, sqes: number, stops: number) => ({
      rings: 1, loopSteps: steps, runNs, loopRuns: stops, stops, errors: 0, sqesFromBpf: sqes, sqesFromUser: 0, programs: [{ id: 29, name: 'loop_step' }],
    });
    store.interval(id, summary({ completed: 1000, bpfOps: ops(1000, 2_000_000, 1000, 0) }));
    store.interval(id, summary({ completed: 1000, bpfOps: ops(1001, 2_002_000, 1000, 1) }));
    await tick();
    expect(frame()).toContain('bpf-ops loop_step#29: 2001 steps, 2.00µs/step');
    expect(frame()).toContain('  SQEs from BPF 2000  stops 1  errors 0');
    unmount();
  });

  test('a bpf run shows the policy counters read from its maps', async () => {
    const store = new Store(() => 0);
    const id = store.begin({ label: 'short-read · bpf', workload: 'short-read', strategy: 'bpf' });
    store.started(id);
    const { frame, stdin, unmount } = mount(store);
    await keys(stdin, '\t');
    store.progress(id, {
      chains: 500, steps: 2000, bytes: 0, resubmits: 0, cancelled: 0, enterCalls: 1,
      policy: { stepsIssued: 2000, sqFullParks: 7, wakeups: 1, invocations: 2016 },
    });
    store.interval(id, summary({ completed: 2000 }));
    await tick();
    expect(frame()).toContain('bpf: 2000 steps in-kernel  parks 7  wake 1');
    unmount();
  });

  test('totals add up over intervals; the end keeps the last rate and says why', async () => {
    const { store, id } = running();
    const { frame, stdin, unmount } = mount(store);
    await keys(stdin, '\t');
    store.interval(id, summary({ completed: 1000 }));
    store.interval(id, summary({ completed: 3000, durationNs: 500e6 }));
    store.interval(id, summary({ completed: 0, requests: {} }));
    store.end(id, { note: 'target exited: last numbers kept' });
    await tick();
    const f = frame();
    expect(f).toContain('[ended] 2.5s — target exited: last numbers kept');
    expect(f).toContain('Throughput (last)');
    expect(f).toContain('ops/s 6000');
    expect(f).toContain('completions 4000  in 2.5s');
    unmount();
  });

  test('drops are logged', async () => {
    const { store, id } = running();
    const { frame, stdin, unmount } = mount(store);
    await keys(stdin, '\t');
    store.interval(id, summary({ drops: 42 }));
    await tick();
    expect(frame()).toContain('drops              42');
    expect(frame()).toContain('short-read · link: event records dropped: 42 (total 42)');
    unmount();
  });

  test('figures this kernel cannot give are said once in the log', async () => {
    const { store, id } = running();
    const { frame, stdin, unmount } = mount(store);
    await keys(stdin, '\t');
    const absent = { completed: 'no tracepoint io_uring_complete on Linux 5.x', latency: 'no tracepoint io_uring_complete on Linux 5.x' };
    store.interval(id, summary({ absent }));
    store.interval(id, summary({ absent }));
    await tick();
    const lines = frame()!.split('\n').filter((l) => l.includes('not measured on this kernel'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('short-read · link: not measured on this kernel: completed, latency');
    unmount();
  });

  test('pause freezes the display while data still arrives', async () => {
    const { store, id } = running();
    const { frame, stdin, unmount } = mount(store);
    await keys(stdin, '\t');
    store.interval(id, summary({ completed: 1000 }));
    await keys(stdin, 'p');
    store.interval(id, summary({ completed: 9000 }));
    await tick();
    expect(frame()).toContain('[paused]');
    expect(frame()).toContain('completions 1000');
    await keys(stdin, 'p');
    expect(frame()).toContain('completions 10.0k');
    unmount();
  });

  test('top mode: the per-thread table', async () => {
    const store = new Store(() => 0);
    const id = store.begin({ label: 'pid 42' });
    const threads = [
      { tid: 42, tgid: 42, kind: 'app' as const, comm: 'uring_load', voluntary: 7, involuntary: 1, offCpuNs: 0, onCpuNs: 900e6, enterCalls: 1234 },
      { tid: 43, tgid: 42, kind: 'iowq' as const, comm: 'iou-wrk-42', voluntary: 99, involuntary: 0, offCpuNs: 0, onCpuNs: 1e6, enterCalls: 0 },
    ];
    const { frame, unmount } = mount(store, { mode: 'top', topLabel: 'pid 42' });
    store.interval(id, summary({ threads }));
    await tick();
    const f = frame();
    expect(f).toContain('uringscope top pid 42 [running]');
    expect(f).toContain('Threads 2 traced');
    expect(f).toContain('     42 uring_load      app           7       1  900.0ms    1234');
    expect(f).toContain('     43 iou-wrk-42      iowq         99       0   1.00ms       0');
    unmount();
  });

  test('compare view: both runs side by side with the ratio', async () => {
    const store = new Store(() => 0);
    const { stdin, frame, unmount } = mount(store);
    await keys(stdin, 'c');
    const a = store.begin({ label: 'short-read · link', workload: 'short-read', strategy: 'link' });
    store.interval(a, summary({ completed: 1000, cancelled: 200 }));
    store.end(a, { note: 'duration reached' });
    const b = store.begin({ label: 'short-read · user', workload: 'short-read', strategy: 'user' }, false);
    store.interval(b, summary({ completed: 2000, enter: { calls: 1000, toSubmit: 2000, timeNs: 0 } }));
    await tick();
    const f = frame();
    expect(f).toContain('Compare short-read ratio = user/link');
    expect(f).toContain('                link  user (running)    ratio');
    expect(f).toMatch(/ops\/s\s+1000\s+2000\s+2\.00/);
    expect(f).toMatch(/cancelled\s+200\s+0\s+0\.00/);
    expect(f).toMatch(/io_uring_enter\s+250\s+1000\s+4\.00/);
    unmount();
  });
});
