// A real terminal for end-to-end TUI tests: the compiled CLI in a tmux
// session of a fixed size, driven by keys and read back with capture-pane.
// Screens are saved under test/artifacts/ for a person to read.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, ROOT, scratchDir, waitFor } from './support.js';

export const ARTIFACTS = join(ROOT, 'test', 'artifacts');

export interface TmuxOptions {
  cols?: number;
  rows?: number;
  /** Where uringscope's stderr goes (default: the terminal). */
  stderr?: string;
  /** Every byte written to the terminal is appended here (tmux pipe-pane). */
  raw?: string;
  cwd?: string;
  /** Extra environment for uringscope (e.g. TMPDIR: where its run directories go). */
  env?: Record<string, string>;
}

export class Tmux {
  readonly name = `uringscope-e2e-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  readonly statusFile = join(scratchDir(), 'status');

  constructor(args: string[], o: TmuxOptions = {}) {
    const err = o.stderr ? ` 2>${o.stderr}` : '';
    // The shell prints a marker once uringscope is gone: in raw output, what comes before it is uringscope's.
    const env = Object.entries(o.env ?? {}).map(([k, v]) => `${k}=${v} `).join('');
    const cmd = `${o.cwd ? `cd ${o.cwd} && ` : ''}${env}${process.execPath} ${CLI} ${args.join(' ')}${err}; echo $? > ${this.statusFile}; echo USCOPE-EXITED; sleep 600`;
    // A server of its own (-L): sessions of other tests, or a server shutting down, cannot interfere.
    const size = ['-x', String(o.cols ?? 100), '-y', String(o.rows ?? 30)];
    if (o.raw) {
      // pipe-pane must be in place before the command writes anything: start a shell that waits for it.
      const go = join(scratchDir(), 'go');
      execFileSync('tmux', ['-L', this.name, 'new-session', '-d', '-s', this.name, ...size, `while [ ! -e ${go} ]; do sleep 0.05; done; ${cmd}`], { env: { ...process.env, TERM: 'xterm-256color' } });
      execFileSync('tmux', ['-L', this.name, 'pipe-pane', '-o', '-t', this.name, `cat >> ${o.raw}`]);
      writeFileSync(go, '');
    } else {
      execFileSync('tmux', ['-L', this.name, 'new-session', '-d', '-s', this.name, ...size, cmd], { env: { ...process.env, TERM: 'xterm-256color' } });
    }
  }

  screen(): string {
    return execFileSync('tmux', ['-L', this.name, 'capture-pane', '-p', '-t', this.name], { encoding: 'utf8' });
  }

  keys(...k: string[]): void {
    execFileSync('tmux', ['-L', this.name, 'send-keys', '-t', this.name, ...k]);
  }

  /** The window's new size: the program sees SIGWINCH, as when a person resizes the terminal. */
  resize(cols: number, rows: number): void {
    execFileSync('tmux', ['-L', this.name, 'resize-window', '-t', this.name, '-x', String(cols), '-y', String(rows)]);
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
export function count(screen: string, re: RegExp): number {
  const m = re.exec(screen);
  if (!m) throw new Error(`${re} not on screen:\n${screen}`);
  const v = parseFloat(m[1]);
  const mult = { k: 1e3, M: 1e6, G: 1e9 }[m[1].slice(-1)] ?? 1;
  return v * mult;
}

export const COMPLETIONS = /completions ([\d.]+[kMG]?)/;
export const CANCELLED = /cancelled\s+([\d.]+[kMG]?)/;
export const OPS = /ops\/s ([\d.]+[kMG]?)/;

let open: Tmux[] = [];

/** A session that the test file's afterEach(killAll) ends, pass or fail. */
export function tmux(args: string[], o?: TmuxOptions): Tmux {
  const t = new Tmux(args, o);
  open.push(t);
  return t;
}

export function killAll(): void {
  for (const t of open) t.kill();
  open = [];
}
