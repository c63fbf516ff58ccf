// A tracer session as TS code sees it: start (privileges, load and attach
// off the JS thread; every hook is a BTF raw tracepoint, so tracefs is not
// needed), targets, cumulative snapshots, event batches,
// stop. Every open session is closed when the process exits, whatever the
// reason; the kernel also drops our programs when the process dies because
// nothing is pinned.
import type { NativeOpsProgram, NativeSnapshot, NativeTracer, NativeTracerHook } from '../native/index.js';
import { UserError } from '../core/user-error.js';
import { EventBatch } from './layout.js';
import { absentFigures } from './figures.js';
import { native } from './native.js';
import { requireBpfPrivileges } from './system.js';

export interface TraceOptions {
  events?: boolean;
  followForks?: boolean;
  comm?: string;
  inflightEntries?: number;
  ringBytes?: number;
  /** In-kernel stats per process for this many targets (`serve`); snapshots carry `targets`. */
  perTarget?: number;
  /** Every process that uses io_uring (but this one) is a target (`serve --all`). */
  traceAll?: boolean;
  /** Each request's path through io_uring (`trace --anatomy`). */
  anatomy?: boolean;
}

const open = new Set<TraceSession>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const s of open) s.stop();
  });
}

export class TraceSession {
  private closed = false;
  private finalSnapshot?: NativeSnapshot;
  private finalOps: NativeOpsProgram[] = [];
  private readonly hookPlan: NativeTracerHook[];
  readonly startedNs: number;

  private constructor(
    private readonly t: NativeTracer,
    readonly options: TraceOptions,
  ) {
    this.startedNs = t.snapshot().ktimeNs;
    this.hookPlan = t.hooks();
  }

  static async start(options: TraceOptions = {}): Promise<TraceSession> {
    requireBpfPrivileges();
    const addon = native();
    const t = new addon.Tracer({
      events: options.events ?? false,
      followForks: options.followForks ?? true,
      comm: options.comm,
      inflightEntries: options.inflightEntries,
      ringBytes: options.ringBytes,
      perTarget: options.perTarget,
      traceAll: options.traceAll,
      anatomy: options.anatomy,
    });
    try {
      await t.open();
    } catch (e) {
      throw new UserError((e as Error).message);
    }
    const s = new TraceSession(t, options);
    open.add(s);
    installExitHook();
    return s;
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  addTarget(pid: number): void {
    this.t.addTarget(pid);
  }

  removeTarget(pid: number): void {
    if (!this.closed) this.t.removeTarget(pid);
  }

  /** Per-target mode: a process that is gone and was reported; frees its in-kernel slot. */
  forgetTarget(pid: number): void {
    if (!this.closed) this.t.forgetTarget(pid);
  }

  /** Target tgids, including processes adopted through fork or comm. */
  targets(): number[] {
    return this.closed ? [] : this.t.targets();
  }

  /** Which of the tracer's programs run on this kernel (chosen at start). */
  hooks(): NativeTracerHook[] {
    return this.hookPlan;
  }

  /** Figures this kernel cannot give: figure -> reason (tracers/figures.ts). */
  absentFigures(): Record<string, string> {
    return absentFigures(this.hookPlan);
  }

  /** Cumulative counts since start (the last one taken, once stopped). */
  snapshot(): NativeSnapshot {
    if (this.closed && this.finalSnapshot) return this.finalSnapshot;
    return this.t.snapshot();
  }

  /**
   * The bpf-ops programs (7.1+) seen running a traced ring's loop, with their
   * loop steps while traced, kept by the tracer itself: still there once the
   * program and its process are gone (the last ones taken, once stopped).
   */
  opsPrograms(): NativeOpsProgram[] {
    return this.closed ? this.finalOps : this.t.opsPrograms();
  }

  /** Event records consumed since the last call (null when none). */
  drain(): EventBatch | null {
    const buf = this.t.drain();
    return buf ? new EventBatch(buf) : null;
  }

  /**
   * Detaches all programs, then takes the final snapshot; records still in
   * the ring buffer stay available to drain().
   */
  stop(): NativeSnapshot {
    if (!this.closed) {
      this.t.detach();
      this.finalSnapshot = this.t.snapshot();
      this.finalOps = this.t.opsPrograms();
      this.t.close();
      this.closed = true;
      open.delete(this);
    }
    return this.finalSnapshot!;
  }
}
