// What this kernel offers of upstream io_uring bpf-ops (Linux 7.1+): the
// struct_ops type in BTF, and whether the release is one with
// CVE-2026-72112 (7.1.0-7.1.4: an attached ops registered again is a
// use-after-free). doctor reports it; the bpf strategy's path follows it
// (workloads/bpf-path.ts).
import { release } from 'node:os';
import { native } from './native.js';

/**
 * doctor's bpf_ops detail on a kernel without bpf-ops: one constant, because
 * the system tests' kernel gate (test/kernel-gate.ts) tells "absent" from
 * "present but refused" (CVE-2026-72112) by it, and a reworded copy there
 * would quietly stop matching.
 */
export const BPF_OPS_ABSENT = 'absent (upstream since Linux 7.1): the bpf strategy uses the map-backed SQPOLL path';

export function hasIoUringBpfOps(): boolean {
  try {
    return native().btfHasType('io_uring_bpf_ops', 'struct');
  } catch {
    return false;
  }
}

/** Linux 7.1.0-7.1.4 (CVE-2026-72112). */
export function vulnerableBpfOps(kernelRelease: string = release()): boolean {
  const m = /^7\.1\.(\d+)/.exec(kernelRelease);
  return !!m && Number(m[1]) <= 4;
}
