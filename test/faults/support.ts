// Helpers for the fault tests: find what a run left behind by its scratch
// directory, not by name. Other uringscopes may run on this machine at the
// same time (another checkout's tests): everything here is scoped to the
// private --scratch directory a test gives its runs, or to the pids and
// program ids seen in it.
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processExists } from '../../tracers/targets.js';
import { loadedProgramIds } from '../bpf-programs.js';
import { sleep, waitFor } from '../support.js';

/** Live (not zombie) processes of ours whose command line names `dir`: the engine, or its gate shell before exec. */
export function enginesUsing(dir: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (cmd.includes('uringscope-engine') && cmd.includes(`${dir}/`) && processExists(Number(d))) out.push(Number(d));
  }
  return out;
}

/** The ids of the BPF programs `pid` holds (program fds, and the programs behind its link fds). */
export function heldProgramIds(pid: number): number[] {
  const ids = new Set<number>();
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  for (const fd of fds) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (!/bpf-prog|bpf_link/.test(target)) continue;
      const m = /^prog_id:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
      if (m) ids.add(Number(m[1]));
    } catch {
      /* closed meanwhile */
    }
  }
  return [...ids];
}

/**
 * Watches a uringscope process and the engines under `dir` until stopped,
 * collecting every BPF program they hold: after a kill, all of them must go.
 */
export class ProgramWatch {
  readonly ids = new Set<number>();
  readonly engines = new Set<number>();
  private on = true;
  private readonly loop: Promise<void>;

  constructor(cliPid: number, dir: string) {
    this.loop = (async () => {
      while (this.on) {
        this.sample(cliPid, dir);
        await sleep(30);
      }
    })();
  }

  private sample(cliPid: number, dir: string): void {
    for (const id of heldProgramIds(cliPid)) this.ids.add(id);
    for (const e of enginesUsing(dir)) {
      this.engines.add(e);
      for (const id of heldProgramIds(e)) this.ids.add(id);
    }
  }

  async stop(): Promise<void> {
    this.on = false;
    await this.loop;
  }
}

/** Waits until none of `ids` is loaded (the kernel frees programs after an RCU grace period). */
export async function expectProgramsGone(ids: Iterable<number>, ms = 5000): Promise<void> {
  const want = [...ids];
  await waitFor(() => {
    const loaded = loadedProgramIds();
    return !want.some((id) => loaded.has(id));
  }, `BPF programs ${want.join(',')} to be unloaded`, ms);
}

/** Kills what a failed test may have left, so one failure does not cascade. */
export function killEnginesUsing(dir: string): void {
  for (const pid of enginesUsing(dir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

export function runDirsIn(dir: string): string[] {
  try {
    return readdirSync(dir).filter((n) => n.startsWith('uringscope-run-'));
  } catch {
    return [];
  }
}

/** A random delay in [lo, hi) milliseconds. */
export function randomMs(lo: number, hi: number): number {
  return Math.round(lo + Math.random() * (hi - lo));
}

/** The issue asks for every fault case at least 20 times, each at a different moment. */
export const REPEATS = 20;

/** uringscope's own exit (code, signal), not 'close': an engine left running would hold its pipes open. */
export function exitOf(child: import('node:child_process').ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((res) => child.once('exit', (code, signal) => res({ code, signal })));
}

/** The last NDJSON line of a --json run: its summary. */
export function lastJson<T = Record<string, unknown>>(stdout: string): T {
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as T;
}

/**
 * A private scratch directory for each test of the file (`prefix` + random,
 * in the OS temp dir), handed to `set` before each test; after it, engines
 * still using it are killed (so one failure does not cascade) and it is
 * removed. Everything the fault tests look for is scoped to it.
 */
export function useScratch(prefix: string, set: (dir: string) => void): void {
  let dir = '';
  beforeEach(() => set((dir = mkdtempSync(join(tmpdir(), prefix)))));
  afterEach(() => {
    killEnginesUsing(dir);
    rmSync(dir, { recursive: true, force: true });
  });
}
