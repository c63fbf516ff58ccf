// The player of `uringscope view` as components: recordings written by the
// real writer and read by the real reader drive the same panels as a live
// run. Timers are stepped by hand (a manual scheduler), so nothing here waits
// on the clock; what is checked is the exact text on screen.
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { loadTimeline } from '../../recording/timeline.js';
import { showRecordings } from '../../tui/compare-recordings.js';
import type { ViewController } from '../../tui/controller.js';
import { StoreContext, ThemeContext } from '../../tui/hooks.js';
import { Player } from '../../tui/player.js';
import { Store } from '../../tui/store.js';
import { makeTheme } from '../../tui/theme.js';
import { Viewer } from '../../tui/viewer.js';
import { scratchDir } from '../support.js';
import { plain, tick } from '../tui-fixtures.js';
import { manualScheduler, writeRunRecording } from '../view-fixtures.js';

const dir = scratchDir();

function mount(store: Store, controller: ViewController) {
  const r = render(
    <ThemeContext.Provider value={makeTheme({ NO_COLOR: '1' })}>
      <StoreContext.Provider value={store}>
        <Viewer controller={controller} />
      </StoreContext.Provider>
    </ThemeContext.Provider>,
  );
  return { ...r, frame: () => plain(r.lastFrame()) };
}

async function keys(stdin: { write(s: string): void }, ...ks: string[]) {
  for (const k of ks) {
    stdin.write(k);
    await tick();
  }
}

const LEFT = '\x1b[D';
const RIGHT = '\x1b[C';
const PGDN = '\x1b[6~';

/** A player on a 4-interval recording (1000, 2000, 3000, 4000 READ completions per 500 ms). */
async function playing(file = 'four.usrec', opts: { end?: boolean } = {}) {
  const path = join(dir, file);
  await writeRunRecording(path, 'link', [1000, 2000, 3000, 4000], opts);
  const t = await loadTimeline(path);
  const sched = manualScheduler();
  let player: Player | undefined;
  const store = new Store(() => player?.nowMs() ?? 0);
  player = new Player(store, t, { scheduler: sched });
  const quit: string[] = [];
  const m = mount(store, { playback: player, quit: () => quit.push('quit') });
  player.start();
  await tick();
  return { ...m, sched, player, path, quit };
}

describe('view: one recording', () => {
  test('opens at 0 of the recording, playing at 1×; each interval shows its numbers', async () => {
    const { frame, sched, unmount, path } = await playing();
    let f = frame();
    expect(f).toContain('uringscope view short-read · link [playing] 0.0s');
    expect(f).toContain(' 0.0s / 2.0s  1×  interval 0/4 │ space pause ←→ seek +/- speed d dash ? help q quit');
    expect(f).toContain(`recording ${path}: 4 intervals, 2.0s`);
    // The next interval is shown after its recorded length at 1×.
    expect(sched.pending.map((p) => p.ms)).toEqual([500]);

    sched.fire();
    await tick();
    f = frame();
    expect(f).toContain('[playing] 0.5s');
    expect(f).toContain('ops/s 2000  bytes/s -');
    expect(f).toContain('completions 1000  in 0.5s');
    expect(f).toContain('cancelled         200');
    expect(f).toContain('READ     2.50µs  4.00µs  12.0µs 150.0µs');
    expect(f).toContain('io_uring_enter 250  (500/s)');
    expect(f).toContain('0.5s short-read · link: first cancellation (-ECANCELED) on READ');
    expect(f).toContain(' 0.5s / 2.0s  1×  interval 1/4');

    sched.fire();
    await tick();
    f = frame();
    expect(f).toContain('ops/s 4000');
    expect(f).toContain('completions 3000  in 1.0s');
    expect(f).toContain('cancelled         600');
    expect(f).toContain(' 1.0s / 2.0s  1×  interval 2/4');
    unmount();
  });

  test('space pauses (no timer left) and resumes', async () => {
    const { frame, stdin, sched, unmount } = await playing();
    sched.fire();
    await keys(stdin, ' ');
    expect(frame()).toContain('[paused] 0.5s');
    expect(sched.pending).toEqual([]);
    await keys(stdin, ' ');
    expect(frame()).toContain('[playing] 0.5s');
    expect(sched.pending.map((p) => p.ms)).toEqual([500]);
    unmount();
  });

  test('→ and ← seek one interval; back rebuilds the totals and the log as they were', async () => {
    const { frame, stdin, unmount } = await playing();
    await keys(stdin, ' ', RIGHT, RIGHT, RIGHT);
    let f = frame();
    expect(f).toContain(' 1.5s / 2.0s  1×  interval 3/4');
    expect(f).toContain('completions 6000  in 1.5s');
    expect(f).toContain('ops/s 6000');
    await keys(stdin, LEFT, LEFT);
    f = frame();
    expect(f).toContain(' 0.5s / 2.0s  1×  interval 1/4');
    expect(f).toContain('completions 1000  in 0.5s');
    expect(f).toContain('cancelled         200');
    // Rebuilt, not appended: the first cancellation is logged once.
    expect(f.split('first cancellation').length - 1).toBe(1);
    await keys(stdin, LEFT, LEFT);
    f = frame();
    expect(f).toContain(' 0.0s / 2.0s  1×  interval 0/4');
    expect(f).toContain('completions 0  in 0.0s');
    expect(f).toContain('[paused]');
    unmount();
  });

  test('+ and - change the speed from 0.25× to 16×; the wait follows it', async () => {
    const { frame, stdin, sched, unmount } = await playing();
    await keys(stdin, '+');
    expect(frame()).toContain(' 0.0s / 2.0s  2×  interval 0/4');
    expect(sched.pending.map((p) => p.ms)).toEqual([250]);
    await keys(stdin, '+', '+', '+', '+', '+');
    expect(frame()).toContain('16×');
    expect(sched.pending.map((p) => p.ms)).toEqual([31.25]);
    await keys(stdin, '-', '-', '-', '-', '-', '-', '-', '-');
    expect(frame()).toContain(' 0.0s / 2.0s  0.25×  interval 0/4');
    expect(sched.pending.map((p) => p.ms)).toEqual([2000]);
    unmount();
  });

  test('at the end: the whole-run summary and engine numbers, as a live run ends; space plays again', async () => {
    const { frame, stdin, sched, unmount } = await playing();
    for (let i = 0; i < 4; i++) sched.fire();
    await tick();
    let f = frame();
    expect(f).toContain('[ended] 2.0s — end of recording: duration reached');
    expect(f).toContain(' 2.0s / 2.0s  1×  interval 4/4');
    expect(f).toContain('Throughput (last)');
    expect(f).toContain('ops/s 8000');
    expect(f).toContain('completions 10.0k  in 2.0s');
    expect(f).toContain('cancelled        2000');
    expect(f).toContain('Latency (whole run)');
    // enter calls 1000 over the engine's 10,000 steps
    expect(f).toContain('per step 0.10  reqs/enter 10.00');
    expect(sched.pending).toEqual([]);
    await keys(stdin, ' ');
    f = frame();
    expect(f).toContain('[playing] 0.0s');
    expect(f).toContain('completions 0  in 0.0s');
    expect(sched.pending.map((p) => p.ms)).toEqual([500]);
    unmount();
  });

  test('PgDn jumps ten intervals (here: to the end); a cut file ends saying so', async () => {
    const { frame, stdin, unmount } = await playing('cut.usrec', { end: false });
    await keys(stdin, PGDN);
    const f = frame();
    expect(f).toContain('interval 4/4');
    expect(f).toContain('[ended] 2.0s — end of recording: cut short, no end record');
    expect(f).toMatch(/recording cut: no end chunk after byte \d+: the recording was interrupted/);
    unmount();
  });

  test('a recording without intervals (stopped at once) opens at its end', async () => {
    const path = join(dir, 'none.usrec');
    await writeRunRecording(path, 'user', []);
    const store = new Store(() => 0);
    const sched = manualScheduler();
    const player = new Player(store, await loadTimeline(path), { scheduler: sched });
    const { frame, unmount } = mount(store, { playback: player, quit: () => undefined });
    player.start();
    await tick();
    expect(frame()).toContain('uringscope view short-read · user [ended] 0.0s — end of recording: duration reached');
    expect(frame()).toContain(' 0.0s / 0.0s  1×  interval 0/0');
    expect(sched.pending).toEqual([]);
    unmount();
  });

  test('? shows the player keys; q quits', async () => {
    const { frame, stdin, quit, unmount } = await playing();
    await keys(stdin, '?');
    expect(frame()).toContain('space/p    pause/resume playback (at the end: play again)');
    expect(frame()).toContain('+/-        playback speed ×2 / ÷2 (0.25× to 16×)');
    await keys(stdin, '?', 'q');
    expect(quit).toEqual(['quit']);
    unmount();
  });
});

describe('view A B: two recordings in the compare view', () => {
  test('side by side, named by file, with the ratio B/A from their summaries', async () => {
    const a = join(dir, 'a.usrec');
    const b = join(dir, 'b.usrec');
    await writeRunRecording(a, 'link', [1000, 1000]);
    await writeRunRecording(b, 'user', [3000, 3000, 3000]);
    const store = new Store(() => 0);
    const { frame, unmount } = mount(store, { quit: () => undefined });
    showRecordings(store, [await loadTimeline(a), await loadTimeline(b)]);
    await tick();
    const f = frame();
    expect(f).toContain('uringscope view A B [recorded]');
    expect(f).toContain('Compare recordings ratio = B/A');
    expect(f).toContain(`A = ${a} (short-read · link)`);
    expect(f).toContain(`B = ${b} (short-read · user)`);
    expect(f).toMatch(/ops\/s\s+2000\s+6000\s+3\.00/);
    expect(f).toMatch(/completions\s+2000\s+9000\s+4\.50/);
    expect(f).toMatch(/cancelled\s+400\s+1800\s+4\.50/);
    expect(f).toMatch(/io_uring_enter\s+500\s+750\s+1\.50/);
    // enter calls per engine step: 500 / 2000 and 750 / 9000
    expect(f).toMatch(/enter\/step\s+0\.250\s+0\.083\s+0\.33/);
    expect(f).toContain(' d dash ? help q quit');
    unmount();
  });
});
