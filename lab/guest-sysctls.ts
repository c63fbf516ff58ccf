// What a lab guest sets before its checks run (scripts/kernel-lab.sh boots
// it; on this machine nothing is changed).
import { writeFileSync } from 'node:fs';

export function guestSysctls(): void {
  // BPF run-time statistics on for the whole boot: the tracer turns them on
  // while it traces a bpf-ops kernel, and each on/off live-patches the
  // static branch in every BPF program run (text_poke through a temporary
  // int3), which multi-threaded TCG does not emulate reliably: a stale int3
  // in bpf_trace_run4 oopses the guest. With the sysctl on, the tracer's
  // requests patch nothing.
  try {
    writeFileSync('/proc/sys/kernel/bpf_stats_enabled', '1');
  } catch {
    /* an older kernel without the sysctl has no bpf-ops either */
  }
  // A soft lockup's report names the stuck task at KERN_EMERG, but its
  // stack comes at the default level, which the lab's "loglevel=3" keeps
  // off the console: let warnings through, with every CPU's stack, so a
  // guest that locks up says where.
  for (const [file, value] of [['/proc/sys/kernel/printk', '5'], ['/proc/sys/kernel/softlockup_all_cpu_backtrace', '1']]) {
    try {
      writeFileSync(file, value);
    } catch {
      /* a kernel built without the soft-lockup detector */
    }
  }
}
