// Runs the CLI for a check: with a time limit, and a report of where a run
// that overstays it is blocked.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

// One engine run takes 10-45 s under TCG; far beyond that it is stuck.
export const RUN_TIMEOUT_MS = 240_000;

/**
 * Runs the CLI. A run still going after timeoutMs is killed and reported with
 * what its processes were blocked in (a hang in a guest kernel is a finding,
 * and the checks after it still run). The result does not wait for the pipes
 * to close: a process stuck unkillably in the kernel can hold them forever.
 */
export function uringscope(root: string, cli: string, args: string[], timeoutMs = RUN_TIMEOUT_MS): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: root });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      const blocked = blockedIn(child.pid ?? 0);
      child.kill('SIGKILL');
      setTimeout(() => fail(new Error(`uringscope ${args.slice(0, 2).join(' ')} still running after ${timeoutMs / 1000} s (killed); ${blocked}`)), 5000);
    }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      // Let the pipes drain, but never wait on them for long.
      const finish = () => done({ code: code ?? 128 + (signal ? 9 : 0), stdout, stderr });
      const grace = setTimeout(finish, 5000);
      child.on('close', () => {
        clearTimeout(grace);
        finish();
      });
    });
  });
}

/** The process tree under pid with each process's state and kernel wait channel, for a hang report. */
function blockedIn(pid: number): string {
  const read = (f: string) => {
    try {
      return readFileSync(f, 'utf8');
    } catch {
      return '';
    }
  };
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    const stat = read(`/proc/${d}/stat`);
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
  }
  const tree: number[] = [];
  for (const queue = [pid]; queue.length; ) {
    const p = queue.shift()!;
    tree.push(p);
    queue.push(...(children.get(p) ?? []));
  }
  return tree.map((p) => {
    const stat = read(`/proc/${p}/stat`);
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    const stack = read(`/proc/${p}/stack`).split('\n').slice(0, 4).map((l) => l.replace(/^\[<[0-9a-f]+>\] /, '').replace(/\+0x.*$/, '')).filter(Boolean);
    return `${comm}[${p}] ${state} in ${read(`/proc/${p}/wchan`) || '?'}${stack.length ? ` (${stack.join(' < ')})` : ''}`;
  }).join('; ');
}
