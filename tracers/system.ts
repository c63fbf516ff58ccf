// What the system gives uringscope: privileges for BPF, and tracefs (not
// needed by the tracer, whose hooks are BTF raw tracepoints, but by the
// classic tools — bpftrace, perf — people compare it with; on a fresh
// machine here it is not mounted, and `doctor` mounts it).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { EXIT_NOPERM } from '../core/exit-codes.js';
import { UserError } from '../core/user-error.js';

export const TRACEFS = '/sys/kernel/tracing';
export const CAP_SYS_ADMIN = 21;
export const CAP_PERFMON = 38;
export const CAP_BPF = 39;

/** Effective capability set of this process, from /proc/self/status. */
export function effectiveCaps(): bigint {
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? BigInt('0x' + m[1]) : 0n;
}

export function hasCap(cap: number, caps = effectiveCaps()): boolean {
  return (caps & (1n << BigInt(cap))) !== 0n;
}

/** Loading tracing BPF needs CAP_BPF + CAP_PERFMON (or CAP_SYS_ADMIN). */
export function canLoadTracingBpf(caps = effectiveCaps()): boolean {
  return hasCap(CAP_SYS_ADMIN, caps) || (hasCap(CAP_BPF, caps) && hasCap(CAP_PERFMON, caps));
}

export function requireBpfPrivileges(): void {
  if (!canLoadTracingBpf()) {
    throw new UserError(
      'uringscope needs root or CAP_BPF+CAP_PERFMON to load its BPF tracer: run it with sudo',
      EXIT_NOPERM,
    );
  }
}

export function tracefsMounted(): boolean {
  return existsSync(`${TRACEFS}/events`);
}

/** Mounts tracefs when it is missing; returns what it did. */
export function ensureTracefs(): 'mounted' | 'was-mounted' {
  if (tracefsMounted()) return 'was-mounted';
  try {
    execFileSync('mount', ['-t', 'tracefs', 'nodev', TRACEFS], { stdio: 'pipe' });
  } catch (e) {
    const why = (e as { stderr?: Buffer }).stderr?.toString().trim() || String(e);
    throw new UserError(`tracefs is not mounted and mounting it failed (${why}): run \`mount -t tracefs nodev ${TRACEFS}\` as root`);
  }
  if (!tracefsMounted()) throw new UserError(`tracefs mounted but ${TRACEFS}/events is missing: is CONFIG_FTRACE enabled?`);
  return 'mounted';
}
