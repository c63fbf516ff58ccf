// What `serve` reports: one long-lived tracer session with per-target
// aggregation, its targets (pids, a comm, or every io_uring process), their
// labels, and their lifecycle — a process that exits is reported once more
// with its final counts, then forgotten (its in-kernel slot freed for the
// next one). Target checks and discovery are trace's (tracers/targets.ts,
// checkTarget); only the lifecycle is serve's own.
import { OpsPrograms } from './ops-programs.js';
import type { NativeSnapshot } from '../native/index.js';
import { EXIT_USAGE } from '../core/exit-codes.js';
import { UserError } from '../core/user-error.js';
import type { MetricsInput, TargetInfo } from './metrics.js';
import { native } from './native.js';
import { checkTarget, type TargetSpec } from './trace-run.js';
import { commOf, pidsWithComm, processExists } from './targets.js';
import { TraceSession } from './tracer.js';
import { ABI } from '../core/abi.js';

export type ServeTargetSpec = Extract<TargetSpec, { kind: 'pids' | 'comm' }> | { kind: 'all' };

/** Stat slots BPF has room for besides the shared one (bpf/tracer.h, US_STAT_SLOTS_MAX - 1). */
export const MAX_TARGETS_LIMIT = ABI.statSlotsMax - 1;

/** How often liveness and --comm discovery run at most, whatever the scrape rate. */
const SWEEP_MS = 250;

/** Validates targets before anything is loaded. Bad input is exit 2, an unknown pid included. */
export function checkServeTarget(t: ServeTargetSpec): void {
  if (t.kind === 'all') return;
  try {
    checkTarget(t);
  } catch (e) {
    if (e instanceof UserError) throw new UserError(e.message, EXIT_USAGE);
    throw e;
  }
}

export class ServedTargets {
  private readonly labels = new Map<number, TargetInfo>();
  /** Gone, reported once more at the last report: forgotten at the next. */
  private readonly exited = new Set<number>();
  private lastSweep = 0;
  private readonly opNames = native().opNames();
  private readonly ops = new OpsPrograms();

  private constructor(
    readonly session: TraceSession,
    readonly spec: ServeTargetSpec,
  ) {}

  static async start(spec: ServeTargetSpec, maxTargets: number): Promise<ServedTargets> {
    checkServeTarget(spec);
    const session = await TraceSession.start({
      comm: spec.kind === 'comm' ? spec.comm : undefined,
      perTarget: maxTargets,
      traceAll: spec.kind === 'all',
    });
    const t = new ServedTargets(session, spec);
    t.ops.read([]); // BPF run-time statistics on from the start (bpf-ops kernels only)
    if (spec.kind === 'pids') for (const pid of spec.pids) session.addTarget(pid);
    if (spec.kind === 'comm') for (const pid of pidsWithComm(spec.comm)) session.addTarget(pid);
    return t;
  }

  /**
   * One report's input: forgets what was reported dead last time, marks
   * what has died since, then reads one snapshot — in that order, so a
   * process found dead has made its last completion before the snapshot,
   * and its last report carries its final counts.
   */
  report(): MetricsInput {
    const s = this.session;
    for (const pid of this.exited) {
      s.forgetTarget(pid);
      this.labels.delete(pid);
    }
    this.exited.clear();
    const swept = this.sweep();
    const snapshot = s.snapshot();
    const targets = new Map<number, TargetInfo>();
    for (const t of snapshot.targets ?? []) targets.set(t.tgid, this.labelOf(t.tgid, snapshot));
    // Targets without series (no ring yet, or no slot left) that are gone: nothing to report.
    if (swept) for (const pid of s.targets()) if (!targets.has(pid) && !processExists(pid)) s.forgetTarget(pid);
    return {
      snapshot,
      targets,
      opNames: this.opNames,
      targetsDropped: snapshot.counters.targetsDropped,
      absent: s.absentFigures(),
      opsPrograms: this.ops.read(s.targets(), s.opsPrograms()),
    };
  }

  private labelOf(pid: number, snap: NativeSnapshot): TargetInfo {
    let l = this.labels.get(pid);
    if (!l) {
      // /proc first (the process's name now); the kernel's thread entry if it is already gone.
      const comm = commOf(pid) ?? snap.threads.find((t) => t.tid === pid)?.comm ?? snap.threads.find((t) => t.tgid === pid)?.comm ?? '';
      l = { pid, comm };
      this.labels.set(pid, l);
    }
    return l;
  }

  /** Liveness of reported targets and new --comm matches, at most every SWEEP_MS. */
  private sweep(): boolean {
    const now = Date.now();
    if (now - this.lastSweep < SWEEP_MS) return false;
    this.lastSweep = now;
    // A reported process that is gone is reported once more (this time), then forgotten.
    for (const pid of this.labels.keys()) if (!processExists(pid)) this.exited.add(pid);
    if (this.spec.kind === 'comm') for (const pid of pidsWithComm(this.spec.comm)) this.session.addTarget(pid);
    return true;
  }

  stop(): void {
    this.ops.release();
    this.session.stop();
  }
}
