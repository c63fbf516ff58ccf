// System checks behind `uringscope doctor`: what the kernel and this process
// allow, each with the one-line fix, and which strategies can run. What
// killed runs left behind is workloads/'s to check (workloads/doctor-leftovers.ts):
// cli/doctor.ts adds it to the report.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { figureStatus, type FigureStatus } from './figures.js';
import { native } from './native.js';
import { canLoadTracingBpf, effectiveCaps, ensureTracefs, hasCap, CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN, tracefsMounted, TRACEFS } from './system.js';
import { TraceSession } from './tracer.js';
import { BPF_OPS_ABSENT, vulnerableBpfOps } from './bpf-ops.js';
export { vulnerableBpfOps } from './bpf-ops.js';
import type { Strategy } from '../core/strategy.js';

export type CheckStatus = 'ok' | 'warn' | 'missing';

export interface Check {
  id: string;
  name: string;
  status: CheckStatus;
  detail: string;
  fix?: string;
  /** The paths a check is about (stale_runs, workloads/doctor-leftovers.ts: the directories still there). */
  items?: string[];
  /** What `doctor --fix` removed. */
  removed?: string[];
}

export type { Strategy } from '../core/strategy.js';

export type { FigureStatus };

export interface StrategyStatus {
  ok: boolean;
  reason?: string;
  /** How `bpf` runs here (engine.policy.path in docs/contract.md). */
  path?: 'ops' | 'map-backed-sqpoll';
}

export interface DoctorReport {
  type: 'doctor';
  kernel: string;
  checks: Check[];
  strategies: Record<Strategy, StrategyStatus>;
  /** Present when the tracer loaded: each figure of the summary contract. */
  figures?: Record<string, FigureStatus>;
  ok: boolean;
}

export const SETUP = {
  SQPOLL: 1 << 1,
  NO_MMAP: 1 << 14,
  NO_SQARRAY: 1 << 16,
} as const;

/** The io_uring tracepoints the tracer uses; a hook renamed across kernels lists both names. */
const IO_URING_TRACEPOINTS: string[][] = [
  ['create'], ['submit_req', 'submit_sqe'], ['complete'], ['fail_link'], ['req_failed'], ['queue_async_work'],
  ['poll_arm'], ['task_add'], ['task_work_run'], ['local_work_run'], ['cqe_overflow'],
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

/** Which per-kernel variants run, when they are not the newest kernels' ("on_submit_sqe"). */
function variantNote(figures: Record<string, FigureStatus>): string {
  const legacy = new Set(Object.values(figures).flatMap((f) => f.programs).filter((p) => p === 'on_submit_sqe' || p === 'on_complete_args'));
  return legacy.size ? ` (this kernel's variants: ${[...legacy].join(', ')})` : '';
}

export async function runDoctor(opts: { loadTest?: boolean } = {}): Promise<DoctorReport> {
  const checks: Check[] = [];
  const add = (c: Check) => checks.push(c);
  const [maj, min] = kernelVersion();

  // The release alone decides nothing: each feature below is probed.
  add({
    id: 'kernel', name: 'kernel', status: 'ok',
    detail: maj > 6 || (maj === 6 && min >= 6)
      ? release()
      : `${release()} (older than 6.6: the bpf strategy's NO_MMAP/NO_SQARRAY rings are not there, see below)`,
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

  // Which tracepoints exist, by either of their names. What the tracer
  // makes of them (per-kernel variants, figures) is the load test's to say.
  const missingTp = IO_URING_TRACEPOINTS.filter((names) => names.every((t) => btfType(`btf_trace_io_uring_${t}`, 'typedef') === false));
  const schedOk = btfType('btf_trace_sched_switch', 'typedef') !== false;
  const enterTp = btfType('btf_trace_sys_enter', 'typedef') !== false && btfType('btf_trace_sys_exit', 'typedef') !== false;
  const anyIoUring = IO_URING_TRACEPOINTS.some((names) => names.some((t) => btfType(`btf_trace_io_uring_${t}`, 'typedef') === true));
  add({
    id: 'tracepoints', name: 'io_uring + sched tracepoints',
    status: !anyIoUring ? 'missing' : missingTp.length || !schedOk || !enterTp ? 'warn' : 'ok',
    detail: missingTp.length || !schedOk || !enterTp
      ? `missing: ${[...missingTp.map((t) => `io_uring_${t.join('/io_uring_')}`), ...(schedOk ? [] : ['sched_switch']), ...(enterTp ? [] : ['sys_enter/sys_exit'])].join(', ')} (only their figures are lost)`
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
  const cve = bpfOps && vulnerableBpfOps(release());
  add({
    id: 'bpf_ops', name: 'io_uring bpf-ops (struct_ops loop_step)',
    status: bpfOps && !cve ? 'ok' : 'warn',
    detail: !bpfOps
      ? BPF_OPS_ABSENT
      : cve
        ? `present, but ${release()} has CVE-2026-72112 (a use-after-free when an attached ops is registered again; 7.1.0-7.1.4): uringscope will not attach bpf-ops here; the bpf strategy uses the map-backed SQPOLL path`
        : 'present (struct io_uring_bpf_ops in BTF): --strategy bpf runs its policy in the ring\'s loop step (--bpf-path ops, the default here; --bpf-path map for the SQPOLL path)',
    fix: !bpfOps ? 'optional: a 7.1+ kernel with CONFIG_IO_URING_BPF_OPS' : cve ? 'upgrade to 7.1.5+ or 7.2' : undefined,
  });
  let libbpf: string | undefined;
  try {
    libbpf = native().libbpfVersion;
  } catch {
    libbpf = undefined;
  }
  const [lmaj, lmin] = (libbpf ?? '0.0').split('.').map(Number);
  const structOpsLinks = lmaj > 1 || (lmaj === 1 && lmin >= 2);
  // Whatever its version, libbpf loads the ops program: the engine writes the
  // struct_ops value and makes the link itself (native/engine/ops_attach.h).
  const structOps = lmaj >= 1;
  add({
    id: 'libbpf', name: 'libbpf (struct_ops)', status: structOps ? 'ok' : 'warn',
    detail: libbpf === undefined
      ? 'unknown (the addon is not built)'
      : `libbpf ${libbpf}: loads struct_ops programs; ${structOpsLinks ? 'it has struct_ops links too' : 'it has no struct_ops links (1.2+), so uringscope writes the ops value and creates the BPF link itself'}: a ring\'s ops detach when uringscope ends`,
    fix: structOps ? undefined : 'libbpf 1.0+ (Debian 12 has 1.1)',
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

  let figures: Record<string, FigureStatus> | undefined;
  if (opts.loadTest !== false && canLoadTracingBpf(caps) && btf) {
    let detail = 'loaded, attached and detached';
    let ok = true;
    try {
      const s = await TraceSession.start({ events: true });
      figures = figureStatus(s.hooks());
      s.stop();
    } catch (e) {
      ok = false;
      detail = (e as Error).message;
    }
    add({ id: 'tracer', name: 'tracer BPF load', status: ok ? 'ok' : 'missing', detail, fix: ok ? undefined : 'see the detail' });
    if (figures) {
      const absent = Object.entries(figures).filter(([, f]) => !f.measured);
      add({
        id: 'figures', name: 'tracer figures',
        status: absent.length ? 'warn' : 'ok',
        detail: absent.length
          ? `not measured on this kernel: ${absent.map(([name, f]) => `${name} (${f.reason})`).join('; ')}; everything else is`
          : `all ${Object.keys(figures).length} figures${variantNote(figures)}`,
        fix: absent.length ? 'a newer kernel gives them; the rest of the tracer and every strategy still run' : undefined,
      });
    }
  }

  const bad = (ids: string[]) => checks.filter((c) => ids.includes(c.id) && c.status === 'missing');
  const strat = (ids: string[], extra: Partial<StrategyStatus> = {}): StrategyStatus => {
    const b = bad(ids);
    if (!b.length) return { ok: true, ...extra };
    const noMmapOnly = b.length === 1 && b[0].id === 'no_mmap';
    return {
      ok: false,
      reason: noMmapOnly
        ? `needs Linux 6.6+: io_uring_setup refuses IORING_SETUP_NO_MMAP | NO_SQARRAY here (${b[0].detail})`
        : `missing: ${b.map((c) => c.name).join(', ')}`,
    };
  };
  // Only what stops the tracer as a whole stops a strategy: a figure this
  // kernel lacks is reported above and left out of the summaries.
  const traced = ['privileges', 'btf', 'lockdown', 'tracepoints', 'tracer'];
  const strategies = {
    link: strat(['io_uring', 'ring', ...traced]),
    user: strat(['io_uring', 'ring', ...traced]),
    // The path `--strategy bpf` takes by default (workloads/bpf-path.ts): ops where bpf-ops is present and safe.
    bpf: bpfOps && !cve
      ? strat(['io_uring', 'ring', 'no_mmap', 'bpf_ops', ...traced], { path: 'ops' })
      : strat(['io_uring', 'ring', 'sqpoll', 'no_mmap', ...traced], { path: 'map-backed-sqpoll' }),
  };
  return {
    type: 'doctor',
    kernel: release(),
    checks,
    strategies,
    ...(figures ? { figures } : {}),
    ok: Object.values(strategies).every((s) => s.ok),
  };
}
