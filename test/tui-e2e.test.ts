// End-to-end: the compiled CLI in a real terminal (tmux), driven by keys and
// read back with capture-pane. Real BPF, real rings. Screens are saved under
// test/artifacts/ for a person to read.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, LOAD, ROOT, loadedTracerPrograms, runCli, scratchDir, sleep, waitFor } from './support.js';

const ARTIFACTS = join(ROOT, 'test', 'artifacts');
const COLS = 100;
const ROWS = 30;

class Tmux {
  readonly name = `uringscope-e2e-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  readonly statusFile = join(scratchDir(), 'status');

  constructor(args: string[]) {
    const cmd = `${process.execPath} ${CLI} ${args.join(' ')}; echo $? > ${this.statusFile}; sleep 600`;
    // A server of its own (-L): sessions of other tests, or a server shutting down, cannot interfere.
    execFileSync('tmux', ['-L', this.name, 'new-session', '-d', '-s', this.name, '-x', String(COLS), '-y', String(ROWS), cmd], { env: { ...process.env, TERM: 'xterm-256color' } });
  }

  screen(): string {
    return execFileSync('tmux', ['-L', this.name, 'capture-pane', '-p', '-t', this.name], { encoding: 'utf8' });
  }

  keys(...k: string[]): void {
    execFileSync('tmux', ['-L', this.name, 'send-keys', '-t', this.name, ...k]);
  }

  async until(pred: (s: string) => boolean, what: string, ms = 20000): Promise<string> {
    let last = '';
    try {
      await waitFor(() => pred((last = this.screen())), what, ms);
    } catch (e) {
      throw new Error(`${(e as Error).message}; screen:\n${last}`);
    }
    return last;
  }

  save(file: string, screen = this.screen()): void {
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, file), screen);
  }

  async exitStatus(ms = 10000): Promise<number> {
    await waitFor(() => existsSync(this.statusFile) && readFileSync(this.statusFile, 'utf8').trim() !== '', 'uringscope to exit', ms);
    return Number(readFileSync(this.statusFile, 'utf8').trim());
  }

  /** The uringscope process: the child of the pane's shell. */
  pid(): number {
    const shell = execFileSync('tmux', ['-L', this.name, 'display-message', '-p', '-t', this.name, '#{pane_pid}'], { encoding: 'utf8' }).trim();
    const kids = execFileSync('pgrep', ['-P', shell], { encoding: 'utf8' }).trim().split('\n');
    return Number(kids[0]);
  }

  kill(): void {
    try {
      execFileSync('tmux', ['-L', this.name, 'kill-server'], { stdio: 'ignore' });
    } catch {
      /* already gone */
    }
  }
}

/** "3.31M" -> 3310000, as the panels print counts. */
function count(screen: string, re: RegExp): number {
  const m = re.exec(screen);
  if (!m) throw new Error(`${re} not on screen:\n${screen}`);
  const v = parseFloat(m[1]);
  const mult = { k: 1e3, M: 1e6, G: 1e9 }[m[1].slice(-1)] ?? 1;
  return v * mult;
}

const COMPLETIONS = /completions ([\d.]+[kMG]?)/;
const CANCELLED = /cancelled\s+([\d.]+[kMG]?)/;
const OPS = /ops\/s ([\d.]+[kMG]?)/;

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

function loadedProgramIds(): Set<number> {
  const out = execFileSync('bpftool', ['prog', 'list', '--json'], { encoding: 'utf8' });
  return new Set((JSON.parse(out) as { id: number }[]).map((p) => p.id));
}

/**
 * The programs this uringscope had are gone from the kernel. Other sessions
 * load the same tracer concurrently on this machine, so "no tracer program at
 * all" (expectNoTracer) would be flaky here; the ids are exact.
 */
async function expectDetached(ids: number[]): Promise<void> {
  expect(ids.length).toBeGreaterThanOrEqual(1);
  await waitFor(() => {
    const loaded = loadedProgramIds();
    return ids.every((id) => !loaded.has(id));
  }, 'the programs of this uringscope to be gone', 5000);
}

let open: Tmux[] = [];
afterEach(() => {
  for (const t of open) t.kill();
  open = [];
});

function tmux(args: string[]): Tmux {
  const t = new Tmux(args);
  open.push(t);
  return t;
}

test('without a terminal: one line pointing at trace / run --json, exit 2', async () => {
  for (const args of [[], ['top', '--pid', String(process.pid)]]) {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('uringscope: the TUI needs a terminal; use `uringscope trace ...` or `uringscope run WORKLOAD --json`\n');
  }
});

test('short-read: cancellations under link, none under user or bpf; q exits 0 and detaches', async () => {
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
