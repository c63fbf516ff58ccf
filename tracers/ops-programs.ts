// The io_uring_bpf_ops programs (Linux 7.1+) driving the traced processes'
// rings, read at each interval: found in the targets' fd tables and held by
// the addon (native/ops_programs.h), so a program's counts are still there
// when its process has exited. A program gone before the first read (a
// process that lives under a second) is known from the tracer's own count of
// its loops (bpf/tracer.bpf.c, on_ops_loop_start). On a kernel without
// bpf-ops nothing is looked for, and BPF statistics stay off.
import type { NativeOpsProgram } from '../native/index.js';
import { hasIoUringBpfOps } from './bpf-ops.js';
import { native } from './native.js';

/** Programs held (read live) first, then those only the tracer saw. */
export function withSeen(held: readonly NativeOpsProgram[], seen: readonly NativeOpsProgram[]): NativeOpsProgram[] {
  const ids = new Set(held.map((p) => p.id));
  return [...held, ...seen.filter((p) => !ids.has(p.id))];
}

export class OpsPrograms {
  private readonly on = hasIoUringBpfOps();
  private prev = new Map<number, NativeOpsProgram>();

  /**
   * Every program seen so far, cumulative (the first call turns the
   * statistics on). `seen` is what the tracer counted of programs' loops
   * (TraceSession.opsPrograms): a program still held here is read live, one
   * that was gone before it could be opened as the tracer saw it.
   */
  read(pids: readonly number[], seen: readonly NativeOpsProgram[] = []): NativeOpsProgram[] {
    if (!this.on) return [];
    return withSeen(native().opsPrograms([...pids]), seen);
  }

  /** The programs' counts since the last call (for interval lines). */
  delta(pids: readonly number[], seen: readonly NativeOpsProgram[] = []): NativeOpsProgram[] {
    const cur = this.read(pids, seen);
    const out = cur.map((p) => {
      const b = this.prev.get(p.id);
      return b ? { ...p, runCnt: p.runCnt - b.runCnt, runTimeNs: p.runTimeNs - b.runTimeNs } : p;
    });
    this.prev = new Map(cur.map((p) => [p.id, p]));
    return out;
  }

  release(): void {
    if (this.on) native().releaseOpsPrograms();
  }
}
