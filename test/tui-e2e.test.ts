// End-to-end: the compiled CLI in a real terminal (tmux), driven by keys and
// read back with capture-pane. Real BPF, real rings. Screens are saved under
// test/artifacts/ for a person to read.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadedProgramIds } from './bpf-programs.js';
import { kernelGate } from './kernel-gate.js';
import { LOAD, loadedTracerPrograms, namedLoad, ROOT, runCli, scratchDir, sleep, waitFor } from './support.js';
import { CANCELLED, COMPLETIONS, OPS, count, killAll, tmux } from './tmux.js';

/** BPF program ids a process holds (program and link fds both name theirs in fdinfo). */
function heldPrograms(pid: number): number[] {
  const ids = new Set<number>();
  for (const fd of readdirSync(`/proc/${pid}/fdinfo`)) {
    try {
      const m = /^prog_id:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
      if (m) ids.add(Number(m[1]));
    } catch {
      /* fd closed meanwhile */
    }
  }
  return [...ids];
}

/**
 * The programs this uringscope had are gone from the kernel. Other sessions
 * load the same tracer concurrently on this machine, so "no tracer program at
 * all" (expectNoTracer) would fail whenever another one is tracing; the ids are exact.
 */
async function expectDetached(ids: number[]): Promise<void> {
  expect(ids.length).toBeGreaterThanOrEqual(1);
  await waitFor(() => {
    const loaded = loadedProgramIds();
    return ids.every((id) => !loaded.has(id));
  }, 'the programs of this uringscope to be gone', 5000);
}

const gate = await kernelGate();
const bpfTest = gate.test({ strategy: 'bpf' });

afterEach(killAll);

test('without a terminal: one line pointing at trace / run --json, exit 2', async () => {
  for (const args of [[], ['top', '--pid', String(process.pid)]]) {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('uringscope: the TUI needs a terminal; use `uringscope trace ...` or `uringscope run WORKLOAD --json`\n');
  }
});

bpfTest('short-read: cancellations under link, none under user or bpf; q exits 0 and detaches', async () => {
  const t = tmux(['--duration', '2']);
  await t.until((s) => s.includes('> short-read'), 'the setup screen');
  // Pick short-read with the keys: move away from it and back.
  t.keys('k');
  await t.until((s) => s.includes('> retry'), 'the picker to move');
  t.keys('j');
  await t.until((s) => s.includes('> short-read'), 'short-read picked');
  t.save('tui-setup.txt');

  t.keys('1');
  t.keys('Enter');
  await t.until((s) => /short-read · link \[running\]/.test(s), 'the link run to start');
  const link = await t.until((s) => /short-read · link \[ended\]/.test(s), 'the link run to end');
  t.save('tui-short-read-link.txt', link);
  expect(count(link, COMPLETIONS)).toBeGreaterThan(0);
  expect(count(link, CANCELLED)).toBeGreaterThan(0);
  expect(link).toContain('first cancellation (-ECANCELED) on READ');

  t.keys('Escape');
  await t.until((s) => s.includes('[ready]'), 'back to setup');
  t.keys('2');
  t.keys('Enter');
  const user = await t.until((s) => /short-read · user \[ended\]/.test(s), 'the user run to end');
  t.save('tui-short-read-user.txt', user);
  expect(count(user, COMPLETIONS)).toBeGreaterThan(0);
  expect(count(user, CANCELLED)).toBe(0);

  t.keys('Escape');
  await t.until((s) => s.includes('[ready]'), 'back to setup');
  t.keys('3');
  t.keys('Enter');
  const bpf = await t.until((s) => /short-read · bpf \[ended\]/.test(s), 'the bpf run to end');
  t.save('tui-short-read-bpf.txt', bpf);
  expect(count(bpf, COMPLETIONS)).toBeGreaterThan(0);
  expect(count(bpf, CANCELLED)).toBe(0);
  expect(bpf).toMatch(/bpf: [\d.]+[kM]? steps in-kernel/); // the policy's own counters, live

  // Every run ended: the tracer of each detached when it ended, the screen stayed.
  expect(heldPrograms(t.pid())).toEqual([]);
  t.keys('q');
  expect(await t.exitStatus()).toBe(0);
  t.save('tui-after-quit.txt');
});

test('q during a run stops it, exits 0 and leaves no BPF program', async () => {
  const t = tmux(['--duration', '30']);
  await t.until((s) => s.includes('[ready]'), 'the setup screen');
  t.keys('Enter');
  await t.until((s) => /\[running\]/.test(s) && count(s, COMPLETIONS) > 0, 'completions on screen');
  const ids = heldPrograms(t.pid());
  expect(ids.filter((id) => loadedProgramIds().has(id)).length).toBe(ids.length);
  expect(loadedTracerPrograms().length).toBeGreaterThan(0);
  t.keys('q');
  expect(await t.exitStatus()).toBe(0);
  await expectDetached(ids);
});

test('top --pid: the rate of a running process, its threads, and its exit', async () => {
  const load = spawn(LOAD, ['loop'], { stdio: 'ignore' });
  try {
    await sleep(200);
    const t = tmux(['top', '--pid', String(load.pid)]);
    const live = await t.until((s) => s.includes('[running]') && /ops\/s [1-9]/.test(s) && s.includes(`${load.pid} uring_load`), 'a non-zero rate and the thread table');
    t.save('tui-top-running.txt', live);
    const ids = heldPrograms(t.pid());
    expect(count(live, OPS)).toBeGreaterThan(0);
    expect(live).toContain(`uringscope top pid ${load.pid}`);

    load.kill('SIGTERM');
    const gone = await t.until((s) => s.includes('target exited: last numbers kept'), 'the exit to show');
    t.save('tui-top-exited.txt', gone);
    // The target's exit ends the trace: the tracer detaches while the screen stays.
    await expectDetached(ids);
    expect(gone).toContain('Throughput (last)');
    expect(count(gone, OPS)).toBeGreaterThan(0);
    expect(count(gone, COMPLETIONS)).toBeGreaterThan(0);

    // The run has ended (detached) already; quitting must still be clean.
    t.keys('q');
    expect(await t.exitStatus()).toBe(0);
  } finally {
    load.kill('SIGKILL');
  }
});

test('d opens the blessed-contrib dashboard on the same run; d comes back with the run still going', async () => {
  const t = tmux(['--duration', '20']);
  await t.until((s) => s.includes('[ready]'), 'the setup screen');
  t.keys('Enter');
  await t.until((s) => /\[running\]/.test(s) && count(s, COMPLETIONS) > 0, 'completions on screen');
  t.keys('d');
  const dash = await t.until((s) => s.includes('latency per opcode') && /completions\s+[\d.]+[kMG]?/.test(s) && s.includes('READ'), 'the dashboard');
  t.save('tui-dashboard.txt', dash);
  t.keys('d');
  const back = await t.until((s) => /short-read · link \[running\]/.test(s), 'the ink panels again, mid-run');
  const before = count(back, COMPLETIONS);
  await t.until((s) => count(s, COMPLETIONS) > before, 'the run to keep going');
  const ids = heldPrograms(t.pid());
  t.keys('q');
  expect(await t.exitStatus()).toBe(0);
  await expectDetached(ids);
});

/** Panel titles of the live screen: each must be on screen exactly once. */
const TITLES = ['Throughput', 'Cancellations & failures', 'Latency', 'Syscalls', 'Context switches', 'Events'];

/** The live screen laid out for `cols` x `rows`: the header on top, the keys at the bottom, the two panel columns split at the middle. */
function expectLaidOut(screen: string, cols: number, rows: number): void {
  const lines = screen.split('\n');
  // ink draws one row short of the terminal (a full-height frame flickers): the status line is row rows-2.
  expect(lines[0]).toMatch(/^uringscope short-read · link \[running\] [\d.]+s$/);
  expect(lines[rows - 2]).toMatch(/^ x stop p pause Enter restart Esc setup c compare d dash \? help q quit/);
  for (const t of TITLES) expect(screen.split(t).length - 1).toBe(1);
  const half = Math.floor(cols / 2);
  const top = lines.find((l) => l.startsWith('Throughput'))!;
  expect(top.indexOf('Cancellations & failures')).toBe(half);
  expect(lines.find((l) => l.startsWith('Latency'))!.indexOf('Syscalls')).toBe(half);
  for (const l of lines) expect([...l].length).toBeLessThanOrEqual(cols);
  expect(screen.split('uringscope short-read').length - 1).toBe(1); // no frame left over from the old size
  expect(screen).toMatch(/broken links\s+[\d.]+[kMG]?/);
  expect(screen).toMatch(/READ\s+[\d.]+[µm]?s\s+[\d.]+[µm]?s\s+[\d.]+[µm]?s\s+[\d.]+[µm]?s/);
}

test('resizing the terminal mid-run re-lays the panels out: 120x40 → 80x24 → 120x40', async () => {
  const t = tmux(['--duration', '30'], { cols: 120, rows: 40 });
  await t.until((s) => s.includes('[ready]'), 'the setup screen');
  t.keys('Enter');
  const big = await t.until((s) => /\[running\]/.test(s) && count(s, COMPLETIONS) > 0 && s.includes('READ '), 'completions on screen');
  t.save('tui-resize-120x40.txt', big);
  expectLaidOut(big, 120, 40);

  t.resize(80, 24);
  const small = await t.until((s) => s.split('\n')[0].length > 0 && s.split('\n').find((l) => l.startsWith('Throughput'))?.indexOf('Cancellations') === 40, 'the 80-column layout');
  t.save('tui-resize-80x24.txt', small);
  expectLaidOut(small, 80, 24);
  // Still live at the new size.
  const before = count(small, COMPLETIONS);
  await t.until((s) => count(s, COMPLETIONS) > before, 'the numbers to keep moving at 80x24');

  t.resize(120, 40);
  const again = await t.until((s) => s.split('\n').find((l) => l.startsWith('Throughput'))?.indexOf('Cancellations') === 60, 'the 120-column layout again');
  t.save('tui-resize-back-120x40.txt', again);
  expectLaidOut(again, 120, 40);
  t.keys('q');
  expect(await t.exitStatus()).toBe(0);
});

test('top --comm: the rate of a process found by its name, and its threads', async () => {
  // A name of our own, so another test's uring_load on this machine is not picked up.
  const { bin, comm } = namedLoad('usc-', scratchDir());
  const load = spawn(bin, ['loop'], { stdio: 'ignore' });
  try {
    await sleep(200);
    const t = tmux(['top', '--comm', comm]);
    const live = await t.until((s) => s.includes('[running]') && /ops\/s [1-9]/.test(s) && s.includes(`${load.pid} ${comm}`), 'a non-zero rate and the thread table');
    t.save('tui-top-comm.txt', live);
    expect(live).toContain(`uringscope top comm ${comm}`);
    expect(live).toContain(`attached to comm ${comm}`);
    expect(count(live, OPS)).toBeGreaterThan(0);
    expect(count(live, COMPLETIONS)).toBeGreaterThan(0);
    const ids = heldPrograms(t.pid());
    t.keys('q');
    expect(await t.exitStatus()).toBe(0);
    await expectDetached(ids);
  } finally {
    load.kill('SIGKILL');
  }
});

/**
 * The terminal is left clean: nothing after uringscope's last "leave the
 * alternate screen" (the shell's marker comes next), the alternate screen
 * never left twice in a row, and nothing at all on stderr (restore-cursor
 * writes "\x1b[?25h" to stderr at process exit unless tui/terminal.ts has
 * unloaded its signal-exit hook, landing after the screen was restored).
 */
function expectCleanExit(raw: string, stderr: string): void {
  expect(JSON.stringify(stderr)).toBe('""');
  const marker = raw.indexOf('USCOPE-EXITED');
  expect(marker).toBeGreaterThan(0);
  const mine = raw.slice(0, marker);
  const off = '\x1b[?1049l';
  const last = mine.lastIndexOf(off);
  expect(last).toBeGreaterThan(0);
  expect(JSON.stringify(mine.slice(last + off.length))).toBe('""');
  const modes = [...mine.matchAll(/\x1b\[\?1049([hl])/g)].map((m) => m[1]).join('');
  expect(modes).not.toContain('ll');
  expect(modes.endsWith('l')).toBe(true);
}

test('the dashboard and back, then q: the terminal is left clean', async () => {
  const dir = scratchDir();
  const raw = join(dir, 'raw');
  const err = join(dir, 'stderr');
  const t = tmux(['--duration', '20'], { raw, stderr: err });
  await t.until((s) => s.includes('[ready]'), 'the setup screen');
  t.keys('Enter');
  await t.until((s) => /\[running\]/.test(s) && count(s, COMPLETIONS) > 0, 'completions on screen');
  t.keys('d');
  await t.until((s) => s.includes('latency per opcode'), 'the dashboard');
  t.keys('d');
  await t.until((s) => /short-read · link \[running\]/.test(s), 'the ink panels again');
  t.keys('q');
  expect(await t.exitStatus()).toBe(0);
  await t.until((s) => s.includes('USCOPE-EXITED'), 'the shell after uringscope');
  t.save('tui-after-dashboard-quit.txt');
  expectCleanExit(readFileSync(raw, 'latin1'), readFileSync(err, 'latin1'));
});

test('--dashboard, then q from the dashboard: the terminal is left clean', async () => {
  const dir = scratchDir();
  const raw = join(dir, 'raw');
  const err = join(dir, 'stderr');
  const t = tmux(['--duration', '20', '--dashboard'], { raw, stderr: err });
  await t.until((s) => s.includes('latency per opcode'), 'the dashboard');
  t.keys('q');
  expect(await t.exitStatus()).toBe(0);
  await t.until((s) => s.includes('USCOPE-EXITED'), 'the shell after uringscope');
  expectCleanExit(readFileSync(raw, 'latin1'), readFileSync(err, 'latin1'));
});

bpfTest('--policy: a C policy under bpf; its counters live in the Policy panel, its us_emit records in the event log', async () => {
  // 2000 one-NOP chains: drop-emit.c emits once per chain, few enough for the
  // policy's ring buffer to hold them all until the engine reads it.
  const workload = join(scratchDir(), 'nop-emit.json');
  writeFileSync(workload, JSON.stringify({ name: 'nop-emit', description: 'chains for drop-emit.c', steps: [{ op: 'nop' }], chains: 2000, concurrency: 16 }));
  const t = tmux(['-w', workload, '--duration', '0', '--policy', 'test/policies/drop-emit.c'], { cwd: ROOT });
  // --policy alone starts on bpf.
  const setup = await t.until((s) => s.includes('nop-emit.json · bpf · policy drop-emit.c [ready]'), 'the setup screen with the policy');
  expect(setup).toContain('policy drop-emit.c (o)');
  t.keys('Enter');
  // The first run compiles the policy (cached afterwards).
  const done = await t.until((s) => s.includes('nop-emit · bpf · policy drop-emit.c [ended]') && s.includes('more policy events not logged'), 'the policy run to end', 60000);
  t.save('tui-policy-bpf.txt', done);
  expect(done).toContain('finished: 2000 chains');
  // Its US_STATS counters, exact at the end: one drop per chain, two NOPs per chain.
  expect(done).toContain('Policy emits 2000  cancels 2000');
  expect(done).toMatch(/^\s*.*\bdropped\s+2000\b/m);
  expect(done).toMatch(/\blinked_nops\s+4000\b/);
  expect(done).toMatch(/bpf: [\d.]+k? steps in-kernel/);
  // us_emit(c, 7, chain, inflight): the first records one line each, the rest (of the engine's 1000) counted on one line.
  const events = [...done.matchAll(/policy event kind=7 chain=(\d+) a=(\d+) b=1/g)];
  expect(events.length).toBeGreaterThan(0);
  for (const e of events) expect(e[2]).toBe(e[1]);
  expect(done).toContain('… 992 more policy events not logged');

  // Live: under a duration the counters move while the run goes on.
  t.keys('Escape');
  await t.until((s) => s.includes('[ready]'), 'back to setup');
  t.keys(']', ']', ']');
  await t.until((s) => s.includes('duration 5s'), 'a 5 s run');
  t.keys('Enter');
  const DROPPED = /dropped\s+([\d.]+[kMG]?)/;
  const first = await t.until((s) => /\[running\]/.test(s) && DROPPED.test(s) && count(s, DROPPED) > 0, 'the counters of the running policy');
  const later = await t.until((s) => /\[running\]/.test(s) && count(s, DROPPED) > count(first, DROPPED), 'the counters to move');
  t.save('tui-policy-bpf-live.txt', later);
  expect(later).toMatch(/dropped\s+[\d.]+[kMG]?\s+[\d.]+[kMG]?\/s/); // with its rate
  t.keys('q');
  expect(await t.exitStatus()).toBe(0);
});

test('--policy naming no policy: one line and exit 2, before any screen', async () => {
  const t = tmux(['--policy', 'no-such-policy'], { cols: 200 }); // wide: the line is not wrapped
  expect(await t.exitStatus()).toBe(2);
  const screen = await t.until((s) => s.includes('USCOPE-EXITED'), 'the shell after uringscope');
  expect(screen).toMatch(/^uringscope: unknown policy "no-such-policy": built-ins are copy, echo, .*; or give a \.c file$/m);
  expect(screen).not.toContain('[ready]');
});
