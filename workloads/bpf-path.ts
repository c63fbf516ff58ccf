// Which in-kernel path the bpf strategy takes. Upstream Linux 7.1 has a
// struct_ops for io_uring's event loop (io_uring_bpf_ops): the policy then
// runs in the ring's loop step (`ops`, bpf/runtime/ops.bpf.h). Elsewhere it
// runs on io_uring_complete over a ring whose memory is a BPF map, issued by
// the SQPOLL thread (`map`, bpf/policy.h; Linux 6.6+).
import { release } from 'node:os';
import { hasIoUringBpfOps, vulnerableBpfOps } from '../tracers/bpf-ops.js';
import { native } from '../tracers/native.js';
import { EXIT_UNAVAILABLE } from '../core/exit-codes.js';
import { UserError } from '../core/user-error.js';
import type { BpfPath } from '../core/engine-result.js';

/** What the user asks for with --bpf-path. */
export type BpfPathChoice = 'auto' | 'ops' | 'map';

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

/** Why the ops path cannot run here (undefined when it can). */
export function opsRefusal(kernelRelease = release(), hasOps = hasIoUringBpfOps(), forced = false): string | undefined {
  if (!hasOps) return `this kernel (${kernelRelease}) has no io_uring bpf-ops (upstream since Linux 7.1, CONFIG_IO_URING_BPF_OPS); use --bpf-path map`;
  if (vulnerableBpfOps(kernelRelease) && !forced) {
    return `Linux ${kernelRelease} has CVE-2026-72112 (io_uring bpf-ops use-after-free, 7.1.0-7.1.4): uringscope does not attach bpf-ops here; upgrade to 7.1.5+, use --bpf-path map, or add --force-bpf-ops`;
  }
  return undefined;
}

/**
 * The path a bpf run takes: the one asked for, or (auto) ops where this
 * kernel has it and it is safe, else map. Throws a UserError (exit 69: the
 * kernel, not the input) when the asked-for path cannot run.
 */
export function chooseBpfPath(asked: BpfPathChoice = 'auto', forced = false): BpfPath {
  if (asked === 'ops' || (asked === 'auto' && !opsRefusal(release(), hasIoUringBpfOps(), false))) {
    const no = opsRefusal(release(), hasIoUringBpfOps(), forced);
    if (no) throw new UserError(`--bpf-path ops: ${no}`, EXIT_UNAVAILABLE);
    return 'ops';
  }
  const no = mapBackedRefusal();
  if (no) throw new UserError(no, EXIT_UNAVAILABLE);
  return 'map-backed-sqpoll';
}

/** One line on the path `--strategy bpf` takes here (run prints it; doctor says the same). */
export function bpfPathNote(path: BpfPath): string {
  return path === 'ops'
    ? 'the bpf strategy runs its policy in the ring\'s own bpf-ops loop step (io_uring_bpf_ops, one io_uring_enter for the run)'
    : hasIoUringBpfOps()
      ? 'the bpf strategy runs its policy on io_uring_complete over a map-backed SQPOLL ring (--bpf-path map)'
      : 'this kernel has no io_uring bpf-ops (upstream since Linux 7.1): the bpf strategy runs its policy on io_uring_complete over a map-backed SQPOLL ring';
}
