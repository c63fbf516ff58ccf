// The numbers TypeScript shares with the C side: enum values, record sizes
// and field offsets from bpf/chain.h, bpf/tracer.h and bpf/replay.h. The one
// TS copy: everything else imports from here. The addon exports the same
// object built by the C compiler (native/abi.cc, `native().abi`), and
// test/unit/abi.test.ts fails when the two differ, so a header change
// cannot silently leave TS behind. Pure data: no addon load at import.
import type { NativeAbi } from '../native/index.js';

/** A record field: [byte offset, integer kind] (the DataView accessor to use). */
export type AbiField = readonly [number, 'u8' | 'u16' | 'u32' | 'u64' | 's8' | 's16' | 's32' | 's64'];

export const ABI = {
  /** US_HIST_BUCKETS, US_HIST_SUB_BITS (bpf/tracer.h) */
  histBuckets: 160,
  histSubBits: 2,
  /** US_STAT_SLOTS_MAX (bpf/tracer.h): the shared slot + 255 targets. */
  statSlotsMax: 256,
  /** US_RETIRED_TID (bpf/tracer.h): thread-table keys from here on hold exited threads' sums. */
  retiredTid: 0x80000000,
  /** US_MAX_FDS (bpf/chain.h): the BPF runtime's fd table. */
  maxFds: 16,
  /** enum us_op (US_OPS in bpf/chain.h), keyed by the workload's step op. */
  op: {
    nop: 0, read: 1, write: 2, readv: 3, writev: 4, send: 5, recv: 6, timeout: 7, poll: 8, fsync: 9,
    openat: 10, close: 11,
  },
  opCount: 12,
  /** struct us_step's modes and flags (bpf/chain.h). */
  lenMode: { fixed: 0, previous: 1, header: 2 },
  offMode: { fixed: 0, perChain: 1, continue: 2, sameAs: 3 },
  onShort: { continue: 0, retry: 1 },
  onZero: { stop: 0, continue: 1 },
  onError: { fail: 0, retry: 1, skip: 2 },
  stepFlag: { hardlink: 1, async: 2, dontwait: 4 },
  /** enum us_event_type (bpf/tracer.h) */
  eventType: { complete: 0, more: 1 },
  /** enum us_path (US_PATHS in bpf/tracer.h): how a request's issue went (trace --anatomy). */
  path: { inline: 0, poll: 1, iowq: 2, block: 3, queued: 4 },
  /** enum us_phase (US_PHASES in bpf/tracer.h): where a request's latency went (trace --anatomy). */
  phase: { device: 0, iowqRun: 1, iowqWait: 2, pollWait: 3, issue: 4, complete: 5 },
  /** struct us_event (bpf/tracer.h) */
  event: {
    size: 80,
    fields: {
      submitNs: [0, 'u64'], completeNs: [8, 'u64'], ctx: [16, 'u64'], req: [24, 'u64'], userData: [32, 'u64'],
      off: [40, 'u64'], tgid: [48, 'u32'], submitTid: [52, 'u32'], completeTid: [56, 'u32'], len: [60, 'u32'],
      res: [64, 's32'], fd: [68, 's32'], cflags: [72, 'u32'], opcode: [76, 'u8'], type: [77, 'u8'], sqeFlags: [78, 'u16'],
    },
  },
  /** struct us_replay_req (bpf/replay.h) */
  replayReq: {
    size: 32,
    fields: {
      off: [0, 'u64'], startNs: [8, 'u64'], chain: [16, 'u32'], len: [20, 'u32'], res: [24, 's32'], fd: [28, 'u16'],
      op: [30, 'u8'], flags: [31, 'u8'],
    },
  },
  /** us_replay_req.flags, US_RP_* (bpf/replay.h) */
  replayFlag: { link: 1, hardlink: 2, async: 4, cancelled: 8 },
} as const satisfies NativeAbi;


/** Byte offset of a field of struct us_event. */
export const EV = offsets(ABI.event.fields);
/** Byte offset of a field of struct us_replay_req. */
export const RQ = offsets(ABI.replayReq.fields);

function offsets<K extends string>(fields: Readonly<Record<K, AbiField>>): Readonly<Record<K, number>> {
  const o = {} as Record<K, number>;
  for (const k of Object.keys(fields) as K[]) o[k] = fields[k][0];
  return o;
}
