// Choosing what to trace: existing pids, processes by comm, or a command we
// start ourselves and hold at a gate until the BPF programs are attached.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { EXIT_CANNOT_EXECUTE, EXIT_COMMAND_NOT_FOUND, EXIT_USAGE } from '../core/exit-codes.js';
import { UserError } from '../core/user-error.js';

/** The state letter of /proc/PID/stat (R, S, Z, ...), or undefined when there is no such process. */
function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

export function processExists(pid: number): boolean {
  // /proc/PID also exists for a zombie: look at its state too.
  const state = processState(pid);
  return state !== undefined && state !== 'Z' && state !== 'X';
}

function parentOf(pid: number): string {
  try {
    const ppid = /^PPid:\s*(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return ppid ? `its parent, pid ${ppid}, has not reaped it` : 'its parent has not reaped it';
  } catch {
    return 'its parent has not reaped it';
  }
}

export function checkPid(pid: number): number {
  if (!Number.isInteger(pid) || pid <= 0) throw new UserError(`--pid takes a positive process id, not "${pid}"`, EXIT_USAGE);
  const state = processState(pid);
  // A zombie has exited and runs nothing: "no process" would send the user looking for the wrong thing.
  if (state === 'Z' || state === 'X') throw new UserError(`pid ${pid} is a zombie: it has exited and ${parentOf(pid)}; there is nothing to trace`);
  if (state === undefined) throw new UserError(`no process with pid ${pid}: check it with \`ps -p ${pid}\``);
  return pid;
}

export function commOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trimEnd();
  } catch {
    return undefined;
  }
}

/** The kernel keeps 15 bytes of a task's name (TASK_COMM_LEN 16, with its NUL). */
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

/** Whether `path` is a file this process may execute (what execve needs; a directory or a data file is not). */
function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Resolves a command name the way the shell will, for a clear error first:
 * 127 when it is not there, 126 when it is there but cannot be run (the
 * shell's codes) — before, `-- /etc/passwd` traced an empty run of the gate.
 */
export function checkCommand(cmd: string): void {
  // An empty word would be looked up as a PATH directory ("/usr/bin/"), not as a command.
  if (cmd.trim() === '') throw new UserError(`the command after -- is empty (got ${JSON.stringify(cmd)}): give the program to run, e.g. -- ./app ARGS`, EXIT_USAGE);
  if (cmd.includes('/')) {
    if (!existsSync(cmd)) throw new UserError(`command not found: ${cmd}`, EXIT_COMMAND_NOT_FOUND);
    if (!executable(cmd)) throw new UserError(`not executable: ${cmd} (${statSync(cmd).isDirectory() ? 'a directory' : 'no execute permission or not a regular file'})`, EXIT_CANNOT_EXECUTE);
    return;
  }
  const dirs = (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':').filter(Boolean);
  if (dirs.some((d) => executable(`${d}/${cmd}`))) return;
  const found = dirs.find((d) => existsSync(`${d}/${cmd}`));
  if (found) throw new UserError(`not executable: ${found}/${cmd} (found in PATH, but it cannot be run)`, EXIT_CANNOT_EXECUTE);
  throw new UserError(`command not found: ${cmd} (not in PATH)`, EXIT_COMMAND_NOT_FOUND);
}
