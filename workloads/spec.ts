// The declarative chain workload format (JSON files: workloads/builtin/*.json,
// ./workloads/*.json, --workload FILE). Validated by workloads/schema.ts;
// compiled for the native engine by workloads/plan.ts.
//
// A workload runs `chains` chains, `concurrency` at a time. A chain is the
// ordered `steps` of the template; each step is one io_uring request whose
// fd, length, offset and buffer follow the rules below. How a chain advances
// depends on the strategy:
//   link  the whole chain is submitted as one kernel link (IOSQE_IO_LINK, or
//         HARDLINK where a step says so), with lengths/offsets planned as if
//         every step moved its full length; when the link breaks (short read,
//         error) the kernel cancels the rest and the engine resubmits the
//         remainder, re-planned from the real results. A step whose length
//         comes from data (`header`) ends the link: it cannot be planned.
//   user  no links: the engine reaps each completion and submits the next step.
//   bpf   a BPF policy decides at completion time, inside the kernel.
// All strategies must produce the same results: bytes, checksums, step counts.

/** Where a scratch file's bytes come from. */
export type FileContent =
  | 'zero'
  | 'random' // deterministic: a PRNG seeded by the target name
  | 'records'; // header-body records: [u32 LE body length][body], see `records`

export interface FileTarget {
  kind: 'file';
  /** Bytes (0 for an output file). */
  size: number;
  content?: FileContent;
  /** For content 'records': how many, and the largest body. Record i sits at i * (4 + maxBody). */
  records?: { count: number; maxBody: number };
  /** Open with O_DIRECT (the scratch dir must support it). */
  direct?: boolean;
}

export interface PathTarget {
  kind: 'path';
  /** An existing file, opened read-only. Never written. */
  path: string;
}

export interface SocketTarget {
  /** Two connected endpoints: `NAME.a` and `NAME.b` in steps. */
  kind: 'socketpair' | 'tcp' | 'pipe';
}

export type TargetSpec = FileTarget | PathTarget | SocketTarget;

export type StepOp =
  | 'nop' | 'read' | 'write' | 'readv' | 'writev' | 'send' | 'recv'
  | 'timeout' | 'poll' | 'fsync' | 'openat' | 'close';

/**
 * Length of the transfer:
 *  - a number of bytes;
 *  - "previous": the bytes the previous step moved (copy: write what was read);
 *  - { header: { step, at } }: a u32 little-endian in step `step`'s buffer at byte `at`
 *    (header-body: the body length was read by the step before).
 */
export type LengthRule = number | 'previous' | { header: { step: number; at?: number } };

/**
 * File offset:
 *  - a number;
 *  - { perChain: STRIDE, base?: B }: B + chainIndex * STRIDE;
 *  - "continue": where the previous step on the same target stopped (its offset + bytes moved);
 *  - { sameAs: STEP }: the offset step STEP used (copy: write where the read read).
 */
export type OffsetRule = number | 'continue' | { perChain: number; base?: number } | { sameAs: number };

export interface StepSpec {
  op: StepOp;
  /** Target name; `NAME.a`/`NAME.b` for socketpair, tcp and pipe (pipe: a = write end, b = read end).
   *  openat opens a file or path target's path (files read-write, paths read-only). */
  target?: string;
  /** Use the fd that step N (an openat) returned instead of a target; close needs it. */
  fdFrom?: number;
  len?: LengthRule;
  offset?: OffsetRule;
  /** Where in the chain's buffer the data goes / comes from. Default 0. */
  bufOffset?: number;
  /** timeout: nanoseconds; poll: ignored. */
  timeoutNs?: number;
  /** send/recv: MSG_DONTWAIT. */
  dontwait?: boolean;
  /** Use IOSQE_IO_HARDLINK to the next step under `link` (errors do not break it). */
  hardlink?: boolean;
  /** IOSQE_ASYNC: always punt to io-wq. */
  async?: boolean;
  /** Negative errno names that count as success (e.g. ["ETIME"] for a timeout that fires). */
  expect?: string[];
  /** A transfer shorter than asked: "continue" to the next step, or "retry" this step for the rest. */
  onShort?: 'continue' | 'retry';
  /** 0 bytes moved (EOF): "stop" the chain (done) or "continue". */
  onZero?: 'stop' | 'continue';
  /** Any other error: "fail" the chain, "retry" this step (up to `retries`), or "skip" it. */
  onError?: 'fail' | 'retry' | 'skip';
  retries?: number;
}

export interface RingSpec {
  entries?: number;
  sqpoll?: boolean;
  sqThreadIdleMs?: number;
  deferTaskrun?: boolean; // implies SINGLE_ISSUER
  registeredBuffers?: boolean;
  registeredFiles?: boolean;
}

export interface WorkloadSpec {
  name: string;
  description: string;
  targets?: Record<string, TargetSpec>;
  steps: StepSpec[];
  chains?: number;
  concurrency?: number;
  /** Chains started per second (0 = as fast as possible). */
  rate?: number;
  /** Bytes of buffer per chain (default: enough for the largest step). */
  bufferBytes?: number;
  ring?: RingSpec;
}
