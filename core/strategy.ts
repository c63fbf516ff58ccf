// Who advances a workload's chains (native/engine/main.cc's `strategy=`):
// the kernel's own links, the engine per completion, or a BPF policy at
// completion time. The one definition; every CLI choice list reads it.
export const STRATEGIES = ['link', 'user', 'bpf'] as const;

export type Strategy = (typeof STRATEGIES)[number];
