// Choosing what to trace: existing pids, processes by comm, or a command we
// start ourselves and hold at a gate until the BPF programs are attached.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { UserError } from './errors.js';

export function processExists(pid: number): boolean {
  // /proc/PID also exists for a zombie: look at its state too.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

export function checkPid(pid: number): number {
  if (!Number.isInteger(pid) || pid <= 0) throw new UserError(`--pid takes a positive process id, not "${pid}"`, 2);
  if (!processExists(pid)) throw new UserError(`no process with pid ${pid}: check it with \`ps -p ${pid}\``);
  return pid;
}

export function commOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trimEnd();
  } catch {
    return undefined;
  }
}

/** The kernel keeps 15 characters of a task's name. */
export const COMM_MAX = 15;

export function pidsWithComm(comm: string, exclude = process.pid): number[] {
  const want = comm.slice(0, COMM_MAX);
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const pid = Number(d);
    if (pid !== exclude && commOf(pid) === want) out.push(pid);
  }
  return out;
}

export interface GatedChild {
  child: ChildProcess;
  pid: number;
  /** Lets the command run (exec) — call once the tracer watches `pid`. */
  release(): void;
  /** Makes the gate exit without running the command. */
  abort(): void;
}

/** The fd a command started with a lifeline finds it on (an EOF there: uringscope is gone). */
export const LIFELINE_FD = 4;

/**
 * Starts `cmd args` behind a gate: a shell that waits for one line on fd 3,
 * then execs the command in place, so the traced pid is the command's own
 * and nothing of it runs before the tracer is attached. If uringscope dies
 * first, the pipe closes and the gate exits 125 without running anything.
 * With `lifeline`, the command also gets a pipe on LIFELINE_FD that we hold
 * open for its whole life: only our own death closes it (a line on it asks
 * for a stop; our engine watches it; never given to a command the user named).
 */
export type ChildStdout = 'inherit' | 'stderr' | 'pipe';

export function spawnGated(cmd: string, args: string[], stdout: ChildStdout, lifeline = false): GatedChild {
  const gate = 'read -r _ <&3 || exit 125; exec 3<&-; exec "$@"';
  const out = stdout === 'stderr' ? process.stderr : stdout;
  const stdio: StdioOptions = [stdout === 'pipe' ? 'ignore' : 'inherit', out, 'inherit', 'pipe', ...(lifeline ? ['pipe' as const] : [])];
  // A child on a lifeline is ours to stop: in its own session, so a Ctrl-C
  // at the terminal reaches only uringscope, which passes the stop on in
  // order (a SIGINT straight from the terminal could land before the engine
  // has its handler, and kill it before it reports).
  const child = spawn('/bin/sh', ['-c', gate, 'uringscope-gate', cmd, ...args], { stdio, detached: lifeline });
  if (child.pid === undefined) throw new UserError(`cannot start ${cmd}`);
  const pipe = child.stdio[3] as Writable;
  pipe.on('error', () => {}); // the child may exit before we write
  if (lifeline) {
    const line = child.stdio[LIFELINE_FD] as Writable & { unref?: () => void };
    line.on('error', () => {});
    line.unref?.(); // it must not keep uringscope alive once all else is done
    child.once('exit', () => line.destroy());
  }
  return {
    child,
    pid: child.pid,
    release: () => pipe.end('go\n'),
    abort: () => pipe.destroy(),
  };
}

/** Resolves a command name the way the shell will, for a clear error first. */
export function checkCommand(cmd: string): void {
  if (cmd.includes('/')) {
    if (!existsSync(cmd)) throw new UserError(`command not found: ${cmd}`, 127);
    return;
  }
  const dirs = (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':');
  if (!dirs.some((d) => d && existsSync(`${d}/${cmd}`))) {
    throw new UserError(`command not found: ${cmd} (not in PATH)`, 127);
  }
}
