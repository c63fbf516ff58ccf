// Shared helpers for the tests: run the built CLI, parse NDJSON, find our BPF
// programs in the kernel, the C load generator.
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Summary } from '../tracers/summary.js';
import { bpfPrograms, type BpfProgram } from './bpf-programs.js';

export const ROOT = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
export const CLI = join(ROOT, 'dist', 'bin', 'uringscope.js');
export const LOAD = join(ROOT, 'build', 'helpers', 'uring_load');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function startCli(args: string[], opts: SpawnOptions = {}): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
}

export function collect(child: ChildProcess): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  return new Promise((res) => child.on('close', (code, signal) => res({ code, signal, stdout, stderr })));
}

export function runCli(args: string[], opts: SpawnOptions = {}): Promise<CliResult> {
  return collect(startCli(args, opts));
}

export function ndjson(out: string): Record<string, unknown>[] {
  return out
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The one summary line of `out`; a failure shows the end of stdout and, when given, of stderr (why the run had none). */
export function finalSummary(out: string, stderr = ''): Summary {
  const lines = ndjson(out).filter((l) => l.type === 'summary');
  if (lines.length !== 1) {
    throw new Error(`expected one summary line, got ${lines.length}:\n${out.slice(-2000)}${stderr ? `\nstderr: ${stderr.slice(-2000)}` : ''}`);
  }
  return lines[0] as unknown as Summary;
}

/** Names of the programs in bpf/tracer.bpf.c (bpftool shows the BTF name, or 15 chars without BTF). */
export const TRACER_PROGS = [
  'on_create', 'on_submit_req', 'on_submit_sqe', 'on_complete', 'on_complete_args', 'on_fail_link', 'on_req_failed', 'on_cqe_overflow',
  'on_queue_async_work', 'on_poll_arm', 'on_task_add', 'on_task_work_run', 'on_local_work_run',
  'on_sched_switch', 'on_fork', 'on_exec', 'on_process_exit', 'on_sys_enter', 'on_sys_exit',
];

/** Hooks with one program per kernel shape (native/tracer_hooks.cc): one of each group loads. */
const VARIANT_GROUPS = [['on_submit_req', 'on_submit_sqe'], ['on_complete', 'on_complete_args']];
/** Programs one tracer loads: one per hook. */
const PROGRAMS_PER_TRACER = TRACER_PROGS.length - VARIANT_GROUPS.reduce((a, g) => a + g.length - 1, 0);

function isTracerProgram(name = ''): boolean {
  return TRACER_PROGS.some((n) => n === name || n.slice(0, 15) === name);
}

function tracerPrograms(): BpfProgram[] {
  return bpfPrograms().filter((p) => isTracerProgram(p.name));
}

/** The chain policy's programs (strategy bpf) still loaded in the kernel. */
export function loadedPolicyPrograms(): string[] {
  return bpfPrograms().map((p) => p.name ?? '').filter((n) => n.startsWith('policy_'));
}

/** Our tracer programs still loaded in the kernel, by name. */
export function loadedTracerPrograms(): string[] {
  return tracerPrograms().map((p) => p.name!);
}

/** Highest id of our programs now (0 if none): programs loaded later have larger ids. */
export function lastTracerProgramId(): number {
  return Math.max(0, ...tracerPrograms().map((p) => p.id));
}

/** Waits until a tracer loaded after `afterId` has all its programs in the kernel. */
export async function waitForTracer(afterId: number): Promise<void> {
  await waitFor(() => tracerPrograms().filter((p) => p.id > afterId).length >= PROGRAMS_PER_TRACER, 'the tracer programs to load');
}

/**
 * Waits until none of our programs is loaded. Links are destroyed when the
 * tracer detaches; the kernel frees the programs themselves after an RCU
 * grace period (syscall tracepoints use RCU tasks trace), so allow a moment.
 */
export async function expectNoTracer(): Promise<void> {
  await waitFor(() => loadedTracerPrograms().length === 0, 'our BPF programs to be gone', 5000);
}

const scratchDirs: string[] = [];
const scratchMounts: string[] = [];

// Jest evaluates this module once per test file, during collection: the hook
// unmounts that file's tmpfs mounts, then removes its scratch directories,
// when its tests are done. Top-level afterAll hooks run in the order they
// were declared, so this one runs before any of the test file's own.
afterAll(() => {
  for (const m of scratchMounts.splice(0).reverse()) execFileSync('umount', [m]);
  for (const d of scratchDirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A private directory for one test file's files, removed after its last test. */
export function scratchDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'uringscope-test-'));
  scratchDirs.push(d);
  return d;
}

/**
 * A tmpfs of `size` (mount's size=, e.g. '64k') made at `path`, a new
 * directory inside a scratch directory: unmounted before the scratch
 * directories are removed.
 */
export function mountTmpfs(path: string, size: string): string {
  mkdirSync(path);
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', path]);
  scratchMounts.push(path);
  return path;
}

/**
 * LOAD under a name of its own (a symlink in `dir`: a process's comm is the name
 * it was executed by), for a test that finds or counts its load by name and
 * must not count another uring_load on the machine. `prefix` + 5 digits stays
 * within comm's 15 characters.
 */
export function namedLoad(prefix: string, dir: string): { bin: string; comm: string } {
  const comm = `${prefix}${process.pid % 100000}`;
  const bin = join(dir, comm);
  symlinkSync(LOAD, bin);
  return { bin, comm };
}

/** The direct children of `pid` (all its threads'), from /proc. */
export function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((t) =>
      readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
  } catch {
    return []; // gone
  }
}

/** `pid` as a failure message should name it: parent, state and command line, or that it is gone. */
export function describeProcess(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    return `pid ${pid} (parent ${ppid}, state ${state}): ${cmd || '(no command line)'}`;
  } catch {
    return `pid ${pid} (gone)`;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Waits until `pred` holds, polling; throws with `what` after `ms`. */
export async function waitFor(pred: () => boolean, what: string, ms = 20000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** mulberry32: small, seeded, the same sequence on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
