// The request records of a recording as columns (typed arrays), for a
// replay: one streaming pass, ~40 bytes per request instead of an object
// each. Refuses, in one line, a file a replay cannot trust: no request
// records (recorded without --events) or damaged after its header.
import { statSync } from 'node:fs';
import { UserError } from '../core/user-error.js';
import { EventType } from '../tracers/layout.js';
import { EXIT_BAD_RECORDING } from '../core/exit-codes.js';
import { scanRecording, type Scan } from './scan.js';

export interface RecordedRequests {
  scan: Scan;
  /** Requests (final completions; multishot intermediate completions are not requests). */
  n: number;
  submitNs: Float64Array;
  completeNs: Float64Array;
  /** Index into `ctxs`: the ring. */
  ring: Uint16Array;
  ctxs: bigint[];
  fd: Int32Array;
  opcode: Uint8Array;
  sqeFlags: Uint16Array;
  len: Uint32Array;
  /** File offset; -1 for the file position (u64 ~0). */
  off: Float64Array;
  res: Int32Array;
}

class Columns {
  n = 0;
  submitNs: Float64Array;
  completeNs: Float64Array;
  ring: Uint16Array;
  fd: Int32Array;
  opcode: Uint8Array;
  sqeFlags: Uint16Array;
  len: Uint32Array;
  off: Float64Array;
  res: Int32Array;

  constructor(cap: number) {
    this.submitNs = new Float64Array(cap);
    this.completeNs = new Float64Array(cap);
    this.ring = new Uint16Array(cap);
    this.fd = new Int32Array(cap);
    this.opcode = new Uint8Array(cap);
    this.sqeFlags = new Uint16Array(cap);
    this.len = new Uint32Array(cap);
    this.off = new Float64Array(cap);
    this.res = new Int32Array(cap);
  }

  reserve(more: number): void {
    const need = this.n + more;
    if (need <= this.submitNs.length) return;
    let cap = this.submitNs.length;
    while (cap < need) cap *= 2;
    for (const k of ['submitNs', 'completeNs', 'ring', 'fd', 'opcode', 'sqeFlags', 'len', 'off', 'res'] as const) {
      const old = this[k];
      const grown = new (old.constructor as new (n: number) => typeof old)(cap);
      grown.set(old as never);
      (this as Record<typeof k, typeof old>)[k] = grown;
    }
  }
}

/** A file of S bytes holds fewer than S / 80 records: size the columns once, no regrowth. */
function capacityFor(path: string): number {
  try {
    return Math.max(1024, Math.ceil(statSync(path).size / 80));
  } catch {
    return 1024; // the scan reports what is wrong with the path
  }
}

export async function readRecordedRequests(path: string): Promise<RecordedRequests> {
  const c = new Columns(capacityFor(path));
  const ctxs: bigint[] = [];
  const ringOf = new Map<bigint, number>();
  const scan = await scanRecording(path, {
    events: (b) => {
      c.reserve(b.count);
      const v = b.view;
      for (let i = 0; i < b.count; i++) {
        const o = i * 80; // struct us_event, recording/format.ts EVENT_LAYOUT
        if (v.getUint8(o + 77) === EventType.MORE) continue;
        const ctx = v.getBigUint64(o + 16, true);
        let ring = ringOf.get(ctx);
        if (ring === undefined) {
          ring = ctxs.length;
          ringOf.set(ctx, ring);
          ctxs.push(ctx);
        }
        const k = c.n++;
        c.submitNs[k] = Number(v.getBigUint64(o, true));
        c.completeNs[k] = Number(v.getBigUint64(o + 8, true));
        c.ring[k] = ring;
        const lo = v.getUint32(o + 40, true);
        const hi = v.getUint32(o + 44, true);
        c.off[k] = lo === 0xffffffff && hi === 0xffffffff ? -1 : hi * 4294967296 + lo;
        c.len[k] = v.getUint32(o + 60, true);
        c.res[k] = v.getInt32(o + 64, true);
        c.fd[k] = v.getInt32(o + 68, true);
        c.opcode[k] = v.getUint8(o + 76);
        c.sqeFlags[k] = v.getUint16(o + 78, true);
      }
    },
  });
  if (scan.damage) {
    throw new UserError(
      `${path}: ${scan.damage.message}; a replay needs the whole request stream (\`uringscope report\` reads what is intact)`,
      EXIT_BAD_RECORDING,
    );
  }
  if (!scan.header.events) {
    throw new UserError(
      `${path} was recorded without --events: it holds no request records to replay; record with \`uringscope record -o FILE --events ...\``,
      EXIT_BAD_RECORDING,
    );
  }
  if (c.n === 0) throw new UserError(`${path} holds no request records: nothing to replay`, EXIT_BAD_RECORDING);
  if (ctxs.length > 65535) throw new UserError(`${path}: requests on ${ctxs.length} rings; a replay handles at most 65535`, EXIT_BAD_RECORDING);
  const { n, submitNs, completeNs, ring, fd, opcode, sqeFlags, len, off, res } = c;
  return { scan, n, submitNs, completeNs, ring, ctxs, fd, opcode, sqeFlags, len, off, res };
}
