// The replay table the engine reads: struct us_replay_req records
// (bpf/replay.h), 32 bytes each, little-endian. This file is the TS mirror
// of that layout, whose numbers come from core/abi.ts; the engine checks
// chain order, ops and fds on load.
import { ABI, RQ } from '../core/abi.js';

export const REPLAY_REQ_SIZE = ABI.replayReq.size;

/** us_replay_req.flags (bpf/replay.h) */
export const RP = {
  LINK: ABI.replayFlag.link, HARDLINK: ABI.replayFlag.hardlink, ASYNC: ABI.replayFlag.async,
  CANCELLED: ABI.replayFlag.cancelled,
} as const;

/** The offset that means "the file position" (io_uring's -1). */
export const CUR_POS = -1;

export interface ReplayReq {
  /** File offset, CUR_POS for the file position; for a timeout its length in ns. */
  off: number;
  startNs: number;
  chain: number;
  len: number;
  res: number;
  fd: number;
  op: number;
  flags: number;
}

function writeU64(b: Buffer, v: number, at: number): void {
  b.writeUInt32LE(v % 4294967296, at);
  b.writeUInt32LE(Math.floor(v / 4294967296), at + 4);
}

export class ReplayTableWriter {
  private buf: Buffer;
  count = 0;

  constructor(capacity: number) {
    this.buf = Buffer.alloc(Math.max(1, capacity) * REPLAY_REQ_SIZE);
  }

  push(r: ReplayReq): void {
    const o = this.count * REPLAY_REQ_SIZE;
    const b = this.buf;
    // u64 fields as two u32 halves: no BigInt per record (there can be millions).
    if (r.off === CUR_POS) b.fill(0xff, o + RQ.off, o + RQ.off + 8);
    else writeU64(b, r.off, o + RQ.off);
    writeU64(b, r.startNs, o + RQ.startNs);
    b.writeUInt32LE(r.chain, o + RQ.chain);
    b.writeUInt32LE(r.len, o + RQ.len);
    b.writeInt32LE(r.res, o + RQ.res);
    b.writeUInt16LE(r.fd, o + RQ.fd);
    b.writeUInt8(r.op, o + RQ.op);
    b.writeUInt8(r.flags, o + RQ.flags);
    this.count++;
  }

  bytes(): Buffer {
    return this.buf.subarray(0, this.count * REPLAY_REQ_SIZE);
  }
}

/** Reads record i back (tests, and anything that wants to show the table). */
export function readReplayReq(b: Buffer, i: number): ReplayReq {
  const o = i * REPLAY_REQ_SIZE;
  const off = b.readBigUInt64LE(o + RQ.off);
  return {
    off: off === 0xffffffffffffffffn ? CUR_POS : Number(off),
    startNs: Number(b.readBigUInt64LE(o + RQ.startNs)),
    chain: b.readUInt32LE(o + RQ.chain),
    len: b.readUInt32LE(o + RQ.len),
    res: b.readInt32LE(o + RQ.res),
    fd: b.readUInt16LE(o + RQ.fd),
    op: b.readUInt8(o + RQ.op),
    flags: b.readUInt8(o + RQ.flags),
  };
}
