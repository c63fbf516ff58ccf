// The io_uring_bpf_ops programs (Linux 7.1+) driving the traced processes'
// rings, read at each interval: found in the targets' fd tables and held by
// the addon (native/ops_programs.h), so a program's counts are still there
// when its process has exited. On a kernel without bpf-ops nothing is looked
// for, and BPF statistics stay off.
import type { NativeOpsProgram } from '../native/index.js';
import { hasIoUringBpfOps } from './bpf-ops.js';
import { native } from './native.js';

export class OpsPrograms {
  private readonly on = hasIoUringBpfOps();
  private prev = new Map<number, NativeOpsProgram>();

  /** Every program seen so far, cumulative (the first call turns the statistics on). */
  read(pids: readonly number[]): NativeOpsProgram[] {
    return this.on ? native().opsPrograms([...pids]) : [];
  }

  /** The programs' counts since the last call (for interval lines). */
  delta(pids: readonly number[]): NativeOpsProgram[] {
    const cur = this.read(pids);
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
