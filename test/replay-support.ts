// What the replay tests compare between a recording and its replay's own
// recording, computed with the existing readers only (scan + event layout),
// not with the replay's stream builder: per opcode the request count, the
// length histogram and the sorted offsets; and the link groups.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { scanRecording } from '../recording/scan.js';
import { opName } from '../tracers/summary.js';
import type { RequestEvent } from '../tracers/layout.js';

export interface OpProfile {
  count: number;
  /** "len:count" pairs, sorted */
  lens: string[];
  /** every offset, sorted (as strings: u64) */
  offsets: string[];
}

interface Rec extends RequestEvent {
  op: string;
}

async function requests(file: string): Promise<Rec[]> {
  const out: Rec[] = [];
  let names: string[] = [];
  await scanRecording(file, {
    header: (h) => {
      names = h.opNames;
    },
    events: (b) => {
      for (const e of b) if (e.type === 0) out.push({ ...e, op: opName(names, e.opcode) });
    },
  });
  return out;
}

/**
 * Under bpf the runtime issues control requests of its own (a kick NOP per
 * slot, unpark NOPs, the replay policy's pacing timeouts, tagged 0x0f): they
 * are told apart by the tag in the low byte of user_data.
 */
export function isBpfControl(e: RequestEvent): boolean {
  const tag = Number(e.userData & 0xffn);
  return tag === 0xff || tag === 0xfe || tag === 0xfd || tag === 0x0f;
}

export async function profile(file: string, skip: (e: RequestEvent) => boolean = () => false): Promise<Record<string, OpProfile>> {
  const by: Record<string, { count: number; lens: Map<number, number>; offsets: bigint[] }> = {};
  for (const e of await requests(file)) {
    if (skip(e)) continue;
    const p = (by[e.op] ??= { count: 0, lens: new Map(), offsets: [] });
    p.count++;
    p.lens.set(e.len, (p.lens.get(e.len) ?? 0) + 1);
    p.offsets.push(e.off);
  }
  const out: Record<string, OpProfile> = {};
  for (const [op, p] of Object.entries(by)) {
    out[op] = {
      count: p.count,
      lens: [...p.lens.entries()].sort((a, b) => a[0] - b[0]).map(([l, n]) => `${l}:${n}`),
      offsets: p.offsets.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map(String),
    };
  }
  return out;
}

/**
 * Link groups per ring in submission order, each as "OP len@off[!]" members
 * joined by " > " (! = completed with -ECANCELED), sorted: two recordings
 * with the same link structure give the same list.
 */
export async function linkGroups(file: string): Promise<string[]> {
  const reqs = (await requests(file)).filter((e) => e.submitNs > 0).sort((a, b) => a.submitNs - b.submitNs);
  const open = new Map<bigint, string[]>();
  const groups: string[][] = [];
  for (const e of reqs) {
    let g = open.get(e.ctx);
    if (!g) groups.push((g = []));
    g.push(`${e.op} ${e.len}@${e.off}${e.res === -125 ? '!' : ''}`);
    if (e.sqeFlags & (4 | 8)) open.set(e.ctx, g);
    else open.delete(e.ctx);
  }
  return groups.map((g) => g.join(' > ')).sort();
}

export function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}
