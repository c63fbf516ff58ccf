// Which in-kernel path the bpf strategy takes on this kernel. Upstream Linux
// 7.1 has a struct_ops for io_uring's event loop (io_uring_bpf_ops); 6.18 does
// not, and the policy then runs on io_uring_complete over a ring whose memory
// is a BPF map, issued by the SQPOLL thread (bpf/policy.h).
import { release } from 'node:os';
import { native } from '../tracers/native.js';

export function hasIoUringBpfOps(): boolean {
  try {
    return native().btfHasType('io_uring_bpf_ops', 'struct');
  } catch {
    return false;
  }
}

export function bpfPathNote(): string {
  return hasIoUringBpfOps()
    ? 'this kernel has io_uring bpf-ops (struct_ops loop_step), but uringscope drives it only through the map-backed SQPOLL path so far'
    : 'this kernel has no io_uring bpf-ops (upstream since Linux 7.1): the bpf strategy runs its policy on io_uring_complete over a map-backed SQPOLL ring';
}

const MAP_BACKED_FLAGS = (1 << 14) | (1 << 16) | (1 << 1); // NO_MMAP | NO_SQARRAY | SQPOLL

/**
 * Why the map-backed path cannot run here (undefined when it can): it needs
 * io_uring_setup to take NO_MMAP | NO_SQARRAY | SQPOLL (Linux 6.6+).
 */
export function mapBackedRefusal(): string | undefined {
  let p: { ok: boolean; error: string };
  try {
    p = native().probeRingSetup(MAP_BACKED_FLAGS);
  } catch (e) {
    return (e as Error).message;
  }
  if (p.ok) return undefined;
  return `the bpf strategy needs Linux 6.6+: io_uring_setup on Linux ${release()} refuses IORING_SETUP_NO_MMAP | NO_SQARRAY | SQPOLL (${p.error}); --strategy link and user run here`;
}
