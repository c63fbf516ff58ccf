// The one contract between the native addon (native/*.cc) and TypeScript.
// Kernel-side layouts live in bpf/tracer.h; the event record layout is
// decoded in tracers/layout.ts.

export interface TracerOptions {
  /** Stream every request as an 80-byte record (see tracers/layout.ts). */
  events?: boolean;
  /** Also trace processes forked by a target (fio jobs). Default true. */
  followForks?: boolean;
  /** Adopt processes that exec with this comm (15 chars at most). */
  comm?: string;
  /** Slots timing requests between submit and completion (rounded to a power of two). */
  inflightEntries?: number;
  /** Event ring buffer bytes (rounded up to a power of two). */
  ringBytes?: number;
  /** Bytes of records that may wait for drain() before they are dropped. */
  maxPendingBytes?: number;
  /**
   * Per-target aggregation (`serve`): in-kernel stats for this many processes
   * besides the shared slot (0 = off, the default; at most 255). Snapshots
   * then carry `targets`.
   */
  perTarget?: number;
  /** Every process that uses io_uring (but this one) becomes a target. */
  traceAll?: boolean;
  /** Each request's path through io_uring (trace --anatomy): extra hooks on the issue path. */
  anatomy?: boolean;
}

/** Counter names follow US_COUNTERS in bpf/tracer.h. */
export interface NativeCounters {
  failLink: number;
  reqFailed: number;
  cqOverflows: number;
  asyncPunts: number;
  pollArms: number;
  taskAdds: number;
  taskWorkRuns: number;
  localWorkRuns: number;
  enterCalls: number;
  enterToSubmit: number;
  enterNs: number;
  eventDrops: number;
  eventsWritten: number;
  staleRequests: number;
  untracked: number;
  evicted: number;
  auxCqes: number;
  rings: number;
  /** Per-target mode: processes that found every stat slot taken (counted once each). */
  targetsDropped: number;
  /** Processes that should have been traced but found the targets table full (counted once each). */
  targetsMissed: number;
  /** Context switches and syscalls of target threads not counted: the threads table was full. */
  threadsMissed: number;
  /** Upstream io_uring bpf-ops (7.1+): io_uring_enter calls run by a ring's loop_step (io_run_loop). */
  opsLoops: number;
  /** ... of which ended with IOU_LOOP_STOP / with an error. */
  opsStops: number;
  opsErrors: number;
  /** SQEs submitted from BPF (bpf_io_uring_submit_sqes). */
  opsSqes: number;
  /** io_uring_enter calls that waited for CQEs (io_uring_cqring_wait), and their off-CPU time. */
  waits: number;
  waitNs: number;
  /** What ended those waits: io_uring_enter returned >= 0, -ETIME, a signal, another error. */
  waitsEvents: number;
  waitsTimeout: number;
  waitsSignal: number;
  waitsError: number;
}

export interface NativeOpStats {
  opcode: number;
  submitted: number;
  completed: number;
  errors: number;
  cancelled: number;
  latCount: number;
  latSumNs: number;
  latMaxNs: number;
  /** Final completions by the path their issue took (trace --anatomy only; bpf/tracer.h US_PATHS). */
  paths?: Record<PathName, number>;
  /** US_HIST_BUCKETS counts, log2 with 2^histSubBits linear sub-buckets. */
  hist: Float64Array;
  /** Where the latency went (trace --anatomy only; bpf/tracer.h US_PHASES). */
  phases?: NativePhases;
}

/** struct us_phase_stats: of the final completions followed from submit, each phase's figures. */
export interface NativePhases {
  /** Final completions with phases; timedNs is the sum of their latencies, which the phases' sums add up to. */
  requests: number;
  timedNs: number;
  byPhase: Record<PhaseName, NativeDist>;
}

/** struct us_dist: durations (for a phase: of the requests that spent time in it). */
export interface NativeDist {
  count: number;
  sumNs: number;
  maxNs: number;
  hist: Float64Array;
}

export type ThreadKind = 'app' | 'sqpoll' | 'iowq';

/** A request's path through io_uring (the keys of ABI.path, core/abi.ts). */
export type PathName = 'inline' | 'poll' | 'iowq' | 'block' | 'queued';

/** A phase of a request's latency (the keys of ABI.phase, core/abi.ts). */
export type PhaseName = 'device' | 'iowqRun' | 'iowqWait' | 'pollWait' | 'issue' | 'complete';

export interface NativeThread {
  tid: number;
  tgid: number;
  kind: ThreadKind;
  comm: string;
  voluntary: number;
  involuntary: number;
  offcpuNs: number;
  oncpuNs: number;
  enterCalls: number;
  enterNs: number;
  /** Sum of io_uring_enter's to_submit argument. */
  enterToSubmit: number;
  /** io_uring_enter calls that waited for CQEs, and the thread's off-CPU time inside them. */
  waits: number;
  waitNs: number;
}

/** One process's in-kernel aggregates (per-target mode). */
export interface NativeTargetStats {
  tgid: number;
  counters: NativeCounters;
  ops: NativeOpStats[];
}

export interface NativeSnapshot {
  /** CLOCK_MONOTONIC when taken (the clock of the BPF timestamps). */
  ktimeNs: number;
  eventsReceived: number;
  userDrops: number;
  counters: NativeCounters;
  ops: NativeOpStats[];
  threads: NativeThread[];
  /** Per-target mode only: each process that holds a stat slot. */
  targets?: NativeTargetStats[];
  /** trace --anatomy only: from the last CQE posted during a wait to io_uring_enter's return. */
  reap?: NativeDist;
}

/** One program of the tracer and whether it runs on this kernel (native/tracer_hooks.h). */
export interface NativeTracerHook {
  program: string;
  tracepoint: string;
  /** Variants of one hook (per-kernel shapes) share a group; at most one runs. */
  group: string;
  /** Summary fields it feeds: submitted, completed, latency, failLinks, ... */
  figures: string[];
  on: boolean;
  /** Why it is off: no such tracepoint, other arguments, a verifier refusal. */
  reason?: string;
}

export declare class NativeTracer {
  constructor(options?: TracerOptions);
  /** Loads and attaches the BPF programs off the JS thread. Rejects with a one-line reason. */
  open(): Promise<void>;
  /** Detaches every program and reads the last records; snapshot() still works. */
  detach(): void;
  /** Detaches and frees everything; pending records stay available to drain(). */
  close(): void;
  addTarget(tgid: number): void;
  removeTarget(tgid: number): void;
  targets(): number[];
  /**
   * Per-target mode: stop tracing a process that is gone and was reported;
   * its slot, rings and thread entries are freed.
   */
  forgetTarget(tgid: number): void;
  snapshot(): NativeSnapshot;
  /** The hook plan chosen at open() for the running kernel. */
  hooks(): NativeTracerHook[];
  /** The bpf-ops programs seen running a traced ring's loop: steps and BPF time while traced. */
  opsPrograms(): NativeOpsProgram[];
  /** Records consumed since the last call, or null when there are none. */
  drain(): ArrayBuffer | null;
}

export interface RingSetupProbe {
  ok: boolean;
  errno: number;
  error: string;
}

/** An io_uring_bpf_ops program driving a traced process's ring (native/ops_programs.h). */
export interface NativeOpsProgram {
  id: number;
  /** The process it was found in. */
  tgid: number;
  name: string;
  /** The program's own statistics: loop steps, and their BPF time. */
  runCnt: number;
  runTimeNs: number;
}

/** A record field: [byte offset, integer kind]. */
export type NativeAbiField = readonly [number, 'u8' | 'u16' | 'u32' | 'u64' | 's8' | 's16' | 's32' | 's64'];

/** A fixed-size little-endian record shared with C. */
export interface NativeAbiRecord {
  size: number;
  fields: Readonly<Record<string, NativeAbiField>>;
}

/**
 * The TS↔C ABI as the C compiler produced it (native/abi.cc): enum values,
 * sizes and offsets. Only the shape is declared here; the values' one TS
 * copy is core/abi.ts, checked against this by test/unit/abi.test.ts.
 */
export interface NativeAbi {
  histBuckets: number;
  histSubBits: number;
  statSlotsMax: number;
  retiredTid: number;
  maxFds: number;
  /** enum us_op by workload op name (US_OPS in bpf/chain.h). */
  op: Readonly<Record<string, number>>;
  opCount: number;
  lenMode: Readonly<Record<string, number>>;
  offMode: Readonly<Record<string, number>>;
  onShort: Readonly<Record<string, number>>;
  onZero: Readonly<Record<string, number>>;
  onError: Readonly<Record<string, number>>;
  stepFlag: Readonly<Record<string, number>>;
  eventType: Readonly<Record<string, number>>;
  path: Readonly<Record<string, number>>;
  phase: Readonly<Record<string, number>>;
  /** struct us_event (bpf/tracer.h) */
  event: NativeAbiRecord;
  /** struct us_replay_req (bpf/replay.h) */
  replayReq: NativeAbiRecord;
  replayFlag: Readonly<Record<string, number>>;
}

export interface NativeAddon {
  Tracer: typeof NativeTracer;
  /** Finds (and holds) the bpf-ops programs of these processes; reports every one held. Enables BPF run-time statistics. */
  opsPrograms(pids: number[]): NativeOpsProgram[];
  /** Lets go of them and of the statistics. */
  releaseOpsPrograms(): void;
  probeRingSetup(flags: number): RingSetupProbe;
  btfHasType(name: string, kind?: 'struct' | 'typedef' | 'enum'): boolean;
  /** IORING_OP_* names of the running kernel, indexed by opcode. */
  opNames(): string[];
  /** "major.minor" of the libbpf the addon runs with. */
  libbpfVersion: string;
  eventSize: number;
  histBuckets: number;
  histSubBits: number;
  abi: NativeAbi;
}
