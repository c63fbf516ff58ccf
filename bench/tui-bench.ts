// npm run bench:tui — what the interactive session costs while it watches a
// busy process: `uringscope top --pid P` in a real terminal (tmux) on a NOP
// generator doing >= 500k requests/s, and the CPU the uringscope process
// uses, as a share of one core, measured from /proc over a fixed window, at
// two refresh rates. The tracer's in-kernel work is charged to the traced
// process, not here: this is the snapshot + render cost.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../core/package-root.js';

const root = packageRoot();
const cli = join(root, 'dist', 'bin', 'uringscope.js');
const load = join(root, 'build', 'helpers', 'uring_load');
const windowS = Number(process.env.WINDOW_S ?? 8);
const TICK = 100; // clock ticks per second (USER_HZ)

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function tmux(args: string[]): string {
  return execFileSync('tmux', ['-L', 'uringscope-bench', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

async function measure(fps: number): Promise<{ fps: number; cpu: number; rate: number }> {
  const gen = spawn(load, ['nops', '2000000000', '64'], { stdio: 'ignore' });
  await sleep(300);
  tmux(['new-session', '-d', '-s', 'b', '-x', '120', '-y', '40', `${process.execPath} ${cli} top --pid ${gen.pid} --fps ${fps}`]);
  try {
    await sleep(3000); // BPF loaded, first frames drawn
    // tmux runs the command through a shell: take the node process itself.
    const pid = execFileSync('pgrep', ['-f', `${cli} top --pid ${gen.pid}`], { encoding: 'utf8' })
      .trim().split('\n').map(Number)
      .find((p) => readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'node');
    if (!pid) throw new Error('uringscope top did not start');
    const t0 = cpuTicks(pid);
    const w0 = Date.now();
    await sleep(windowS * 1000);
    const cpu = (cpuTicks(pid) - t0) / TICK / ((Date.now() - w0) / 1000);
    // the traced rate, as the TUI itself shows it
    const screen = tmux(['capture-pane', '-p', '-t', 'b']);
    const m = /ops\/s\s+([\d.]+)([kM]?)/.exec(screen);
    const rate = m ? Number(m[1]) * (m[2] === 'M' ? 1e6 : m[2] === 'k' ? 1e3 : 1) : NaN;
    return { fps, cpu, rate };
  } finally {
    tmux(['send-keys', '-t', 'b', 'q']);
    await sleep(1500);
    try {
      tmux(['kill-server']);
    } catch {
      /* already gone */
    }
    gen.kill('SIGKILL');
  }
}

const rows = [];
for (const fps of [4, 10]) rows.push(await measure(fps));
console.log(`uringscope top --pid <uring_load nops> in tmux 120x40; CPU of the uringscope process over ${windowS} s`);
console.log('| refresh | traced NOP rate on screen | uringscope CPU (share of one core) |');
console.log('|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.fps} fps | ${Number.isNaN(r.rate) ? '?' : Math.round(r.rate).toLocaleString('en')} /s | ${(r.cpu * 100).toFixed(1)}% |`);
