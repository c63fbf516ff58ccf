// System checks behind `uringscope doctor`: what the kernel and this process
// allow, each with the one-line fix, and which strategies can run.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { native } from './native.js';
import { canLoadTracingBpf, effectiveCaps, ensureTracefs, hasCap, CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN, tracefsMounted, TRACEFS } from './system.js';
import { TraceSession } from './tracer.js';
import { leftoversCheck } from './doctor-leftovers.js';

export type CheckStatus = 'ok' | 'warn' | 'missing';

export interface Check {
  id: string;
  name: string;
  status: CheckStatus;
  detail: string;
  fix?: string;
  /** The paths a check is about (stale_runs: the directories still there). */
  items?: string[];
  /** What `doctor --fix` removed. */
  removed?: string[];
}

export type Strategy = 'link' | 'user' | 'bpf';

export interface DoctorReport {
  type: 'doctor';
  kernel: string;
  checks: Check[];
  strategies: Record<Strategy, { ok: boolean; reason?: string }>;
  ok: boolean;
}

export const SETUP = {
  SQPOLL: 1 << 1,
  NO_MMAP: 1 << 14,
  NO_SQARRAY: 1 << 16,
} as const;

const IO_URING_TRACEPOINTS = [
  'create', 'submit_req', 'complete', 'fail_link', 'req_failed', 'queue_async_work', 'poll_arm',
  'task_add', 'task_work_run', 'local_work_run', 'cqe_overflow',
];

function kernelVersion(): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(release());
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

function readTrim(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function lockdownMode(): string | undefined {
  const path = '/sys/kernel/security/lockdown';
  if (!existsSync(path) && process.getuid?.() === 0) {
    try {
      execFileSync('mount', ['-t', 'securityfs', 'nodev', '/sys/kernel/security'], { stdio: 'pipe' });
    } catch {
      /* reported as unknown below */
    }
  }
  const raw = readTrim(path);
  return raw ? /\[(\w+)\]/.exec(raw)?.[1] : undefined;
}

function btfType(name: string, kind: 'struct' | 'typedef'): boolean | undefined {
  try {
    return native().btfHasType(name, kind);
  } catch {
    return undefined;
  }
}

export async function runDoctor(opts: { loadTest?: boolean; fix?: boolean } = {}): Promise<DoctorReport> {
  const checks: Check[] = [];
  const add = (c: Check) => checks.push(c);
  const [maj, min] = kernelVersion();

  add({
    id: 'kernel', name: 'kernel', detail: release(),
    status: maj > 6 || (maj === 6 && min >= 6) ? 'ok' : 'missing',
    fix: 'the bpf strategy needs Linux 6.6+ (NO_MMAP, NO_SQARRAY rings); the tracer needs 5.15+',
  });

  const caps = effectiveCaps();
  const isRoot = process.getuid?.() === 0;
  add({
    id: 'privileges', name: 'root / CAP_BPF / CAP_PERFMON',
    status: canLoadTracingBpf(caps) ? 'ok' : 'missing',
    detail: `uid ${process.getuid?.()}, CAP_SYS_ADMIN ${hasCap(CAP_SYS_ADMIN, caps) ? 'yes' : 'no'}, CAP_BPF ${hasCap(CAP_BPF, caps) ? 'yes' : 'no'}, CAP_PERFMON ${hasCap(CAP_PERFMON, caps) ? 'yes' : 'no'}`,
    fix: 'run as root (sudo uringscope ...) or grant CAP_BPF and CAP_PERFMON',
  });

  let tracefs = tracefsMounted();
  let tracefsDetail = tracefs ? `mounted at ${TRACEFS}` : 'not mounted';
  if (!tracefs && isRoot) {
    try {
      ensureTracefs();
      tracefs = true;
      tracefsDetail = `was not mounted; mounted it at ${TRACEFS}`;
    } catch (e) {
      tracefsDetail = (e as Error).message;
    }
  }
  add({
    id: 'tracefs', name: 'tracefs', status: tracefs ? 'ok' : 'warn',
    detail: `${tracefsDetail} (uringscope's tracer does not need it; bpftrace and perf do)`,
    fix: `mount -t tracefs nodev ${TRACEFS} (doctor does this itself when run as root)`,
  });

  const btf = existsSync('/sys/kernel/btf/vmlinux');
  add({
    id: 'btf', name: 'kernel BTF', status: btf ? 'ok' : 'missing',
    detail: btf ? '/sys/kernel/btf/vmlinux' : 'no /sys/kernel/btf/vmlinux',
    fix: 'use a kernel built with CONFIG_DEBUG_INFO_BTF=y',
  });

  const lockdown = lockdownMode();
  add({
    id: 'lockdown', name: 'lockdown', detail: lockdown ?? 'unknown (securityfs not readable)',
    status: lockdown === 'confidentiality' ? 'missing' : lockdown === undefined ? 'warn' : 'ok',
    fix: 'lockdown=confidentiality forbids BPF reading kernel memory: boot with lockdown=integrity or none',
  });

  const disabled = readTrim('/proc/sys/kernel/io_uring_disabled');
  add({
    id: 'io_uring', name: 'io_uring enabled',
    status: disabled === undefined || disabled === '0' || (disabled === '1' && isRoot) ? 'ok' : 'missing',
    detail: disabled === undefined ? 'no io_uring_disabled sysctl (enabled)' : `kernel.io_uring_disabled = ${disabled}`,
    fix: 'sysctl -w kernel.io_uring_disabled=0',
  });

  const missingTp = IO_URING_TRACEPOINTS.filter((t) => btfType(`btf_trace_io_uring_${t}`, 'typedef') === false);
  const schedOk = btfType('btf_trace_sched_switch', 'typedef') !== false;
  const enterTp = btfType('btf_trace_sys_enter', 'typedef') !== false && btfType('btf_trace_sys_exit', 'typedef') !== false;
  add({
    id: 'tracepoints', name: 'io_uring + sched tracepoints',
    status: missingTp.length === 0 && schedOk && enterTp ? 'ok' : 'missing',
    detail: missingTp.length || !schedOk || !enterTp
      ? `missing: ${[...missingTp.map((t) => `io_uring_${t}`), ...(schedOk ? [] : ['sched_switch']), ...(enterTp ? [] : ['sys_enter/sys_exit'])].join(', ')}`
      : `${IO_URING_TRACEPOINTS.length} io_uring tracepoints, sched_switch, sys_enter/sys_exit (BTF raw tracepoints)`,
    fix: 'use a kernel with CONFIG_IO_URING, CONFIG_FTRACE_SYSCALLS and BTF',
  });

  const probe = (flags: number) => {
    try {
      return native().probeRingSetup(flags);
    } catch (e) {
      return { ok: false, errno: 0, error: (e as Error).message };
    }
  };
  const plain = probe(0);
  const sqpoll = probe(SETUP.SQPOLL);
  const noMmap = probe(SETUP.NO_MMAP | SETUP.NO_SQARRAY);
  const all = probe(SETUP.NO_MMAP | SETUP.NO_SQARRAY | SETUP.SQPOLL);
  add({ id: 'ring', name: 'io_uring_setup', status: plain.ok ? 'ok' : 'missing', detail: plain.ok ? 'accepted' : plain.error, fix: 'io_uring is disabled or unavailable for this user' });
  add({ id: 'sqpoll', name: 'IORING_SETUP_SQPOLL', status: sqpoll.ok ? 'ok' : 'missing', detail: sqpoll.ok ? 'accepted' : sqpoll.error, fix: 'SQPOLL needs Linux 5.11+ (or CAP_SYS_NICE before)' });
  add({ id: 'no_mmap', name: 'IORING_SETUP_NO_MMAP | NO_SQARRAY', status: noMmap.ok && all.ok ? 'ok' : 'missing', detail: noMmap.ok && all.ok ? 'accepted (with SQPOLL too)' : (noMmap.ok ? all.error : noMmap.error), fix: 'needs Linux 6.6+' });

  const bpfOps = btfType('io_uring_bpf_ops', 'struct');
  add({
    id: 'bpf_ops', name: 'io_uring bpf-ops (struct_ops loop_step)',
    status: bpfOps ? 'ok' : 'warn',
    detail: bpfOps ? 'present: the bpf strategy can run the policy in the ring loop' : 'absent (upstream since Linux 7.1): the bpf strategy uses the map-backed SQPOLL path',
    fix: bpfOps ? undefined : 'optional: a 7.1+ kernel with CONFIG_IO_URING_BPF_OPS',
  });

  // C policies (--policy) are compiled at run time, for BPF and natively.
  let clang: string | undefined;
  try {
    clang = execFileSync(process.env.CLANG ?? 'clang', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0];
  } catch {
    clang = undefined;
  }
  add({
    id: 'clang', name: 'clang (C policies: --policy)', status: clang ? 'ok' : 'warn',
    detail: clang ?? 'not found: workloads still run; --policy cannot compile a policy',
    fix: clang ? undefined : 'apt-get install clang (scripts/install.sh does)',
  });

  if (opts.loadTest !== false && canLoadTracingBpf(caps) && btf) {
    let detail = 'loaded, attached and detached';
    let ok = true;
    try {
      const s = await TraceSession.start({ events: true });
      s.stop();
    } catch (e) {
      ok = false;
      detail = (e as Error).message;
    }
    add({ id: 'tracer', name: 'tracer BPF load', status: ok ? 'ok' : 'missing', detail, fix: 'see the detail; run with sudo if it says permission denied' });
  }

  add(leftoversCheck(!!opts.fix));

  const bad = (ids: string[]) => checks.filter((c) => ids.includes(c.id) && c.status === 'missing').map((c) => c.name);
  const strat = (ids: string[]) => {
    const b = bad(ids);
    return b.length ? { ok: false, reason: `missing: ${b.join(', ')}` } : { ok: true };
  };
  const traced = ['privileges', 'btf', 'lockdown', 'tracepoints', 'tracer'];
  const strategies = {
    link: strat(['io_uring', 'ring', ...traced]),
    user: strat(['io_uring', 'ring', ...traced]),
    bpf: strat(['io_uring', 'ring', 'kernel', 'sqpoll', 'no_mmap', ...traced]),
  };
  return {
    type: 'doctor',
    kernel: release(),
    checks,
    strategies,
    ok: Object.values(strategies).every((s) => s.ok),
  };
}
