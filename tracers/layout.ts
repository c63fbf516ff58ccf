// Decoding of the per-request event records (struct us_event in
// bpf/tracer.h). One DataView over a whole batch; no per-record allocation
// unless the caller asks for objects. Sizes and offsets: core/abi.ts.
import { ABI, EV } from '../core/abi.js';

export const EVENT_SIZE = ABI.event.size;

export const EventType = { COMPLETE: ABI.eventType.complete, MORE: ABI.eventType.more } as const;

export interface RequestEvent {
  submitNs: number; // 0 when the submit was not seen
  completeNs: number;
  latencyNs: number; // 0 when the submit was not seen
  ctx: bigint;
  req: bigint;
  userData: bigint;
  off: bigint;
  tgid: number;
  submitTid: number;
  completeTid: number;
  len: number;
  res: number;
  fd: number;
  cflags: number;
  opcode: number;
  type: number;
  sqeFlags: number;
}

const F = EV;

/** A batch of records as drained from the tracer. */
export class EventBatch {
  readonly view: DataView;
  readonly count: number;

  constructor(readonly buffer: ArrayBuffer) {
    if (buffer.byteLength % EVENT_SIZE !== 0) {
      throw new Error(`event batch of ${buffer.byteLength} bytes is not a whole number of ${EVENT_SIZE}-byte records`);
    }
    this.view = new DataView(buffer);
    this.count = buffer.byteLength / EVENT_SIZE;
  }

  opcode(i: number): number {
    return this.view.getUint8(i * EVENT_SIZE + F.opcode);
  }

  res(i: number): number {
    return this.view.getInt32(i * EVENT_SIZE + F.res, true);
  }

  at(i: number): RequestEvent {
    const v = this.view;
    const o = i * EVENT_SIZE;
    const submitNs = Number(v.getBigUint64(o + F.submitNs, true));
    const completeNs = Number(v.getBigUint64(o + F.completeNs, true));
    return {
      submitNs,
      completeNs,
      latencyNs: submitNs ? completeNs - submitNs : 0,
      ctx: v.getBigUint64(o + F.ctx, true),
      req: v.getBigUint64(o + F.req, true),
      userData: v.getBigUint64(o + F.userData, true),
      off: v.getBigUint64(o + F.off, true),
      tgid: v.getUint32(o + F.tgid, true),
      submitTid: v.getUint32(o + F.submitTid, true),
      completeTid: v.getUint32(o + F.completeTid, true),
      len: v.getUint32(o + F.len, true),
      res: v.getInt32(o + F.res, true),
      fd: v.getInt32(o + F.fd, true),
      cflags: v.getUint32(o + F.cflags, true),
      opcode: v.getUint8(o + F.opcode),
      type: v.getUint8(o + F.type),
      sqeFlags: v.getUint16(o + F.sqeFlags, true),
    };
  }

  *[Symbol.iterator](): IterableIterator<RequestEvent> {
    for (let i = 0; i < this.count; i++) yield this.at(i);
  }
}
