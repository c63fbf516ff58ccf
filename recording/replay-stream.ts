// From a recording's requests to the stream a replay issues: chains (by
// link structure), their scaled start times, the concurrency the recording
// reached, a scratch file per recorded (ring, fd), what is skipped and why,
// and the engine's table (recording/replay-table.ts).
//
// Chains: per ring, in submission order, a request flagged IOSQE_IO_LINK or
// IOSQE_IO_HARDLINK is linked to the next request submitted on that ring (a
// kernel link is contiguous SQEs of one submission, and submissions on a
// ring are serialised). A request without the flag ends its chain.
import { EXIT_BAD_RECORDING } from '../core/exit-codes.js';
import { UserError } from '../core/user-error.js';
import { opName } from '../tracers/summary.js';
import { readRecordedRequests, type RecordedRequests } from './recorded-requests.js';
import { isRead, movesData, replayOpOf, skipReason, US_OP, usesFile, type ReplayOp } from './replay-ops.js';
import { CUR_POS, ReplayTableWriter, RP } from './replay-table.js';

const IOSQE_FIXED_FILE = 1;
const IOSQE_IO_LINK = 4;
const IOSQE_IO_HARDLINK = 8;
const IOSQE_ASYNC = 16;
const ECANCELED = 125;

/** The most requests one replayed kernel link holds; longer recorded links are cut. */
export const MAX_LINK = 1024;
/** Largest request a replay issues (each chain in flight has a buffer this large). */
export const MAX_REQUEST_BYTES = 64 << 20;
/** Most scratch files (fd-table entries; the table's fd field is a u16). */
export const MAX_TARGETS = 1024;
/**
 * Chains a replay keeps in flight, and memory for their buffers. Not the
 * workloads' MAX_CONCURRENCY (16383, what the bpf strategy's SQ can hold):
 * a replay runs only link or user, issues the recording's own peak
 * concurrency, and gives every chain in flight a buffer of its own, so it
 * has its own, lower ceiling; the arena and the ring's SQEs may cut it further.
 */
export const MAX_REPLAY_INFLIGHT = 1024;
const MAX_BUFFER_ARENA = 512 << 20;
/** SQEs a link strategy ring needs for concurrency x the longest link (io_uring allows 32768). */
const MAX_RING_SQES = 16384;

export interface ReplayTarget {
  /** The recorded ring (ctx pointer, hex) and fd (a registered-file index when `fixed`). */
  ctx: string;
  fd: number;
  fixed: boolean;
  /** Scratch file size: far enough for every recorded read to return what it returned. */
  size: number;
}

export interface ReplayStream {
  source: string;
  /** Requests in the recording; replayed ones; requests by chain. */
  recorded: number;
  requests: number;
  chains: number;
  /** Chains of more than one request (kernel links under `link`). */
  linkedChains: number;
  longestLink: number;
  /** Recorded links longer than MAX_LINK, cut into several. */
  linksCut: number;
  recordedConcurrency: number;
  concurrency: number;
  speed: number;
  /** First to last chain start: as recorded, and as the replay schedules it. */
  recordedSpanNs: number;
  scheduledSpanNs: number;
  bufferBytes: number;
  targets: ReplayTarget[];
  /** Requests not replayed, by kernel opcode name. */
  skipped: Record<string, { count: number; reason: string }>;
  /** Records the recording lost (tracer drops + writer): the stream has gaps. */
  lost: number;
  /** us_replay_req records (bpf/replay.h). */
  table: Buffer;
}

/**
 * Chains as typed arrays (a recording can hold millions of requests): chain c
 * is members[first[c] .. first[c] + count[c]), request indexes in
 * submission order; it starts at its first member's submission and is in
 * flight until its last completion.
 */
interface Chains {
  n: number;
  members: Uint32Array;
  first: Uint32Array;
  count: Uint32Array;
  start: Float64Array;
  end: Float64Array;
}

/** Indexes of the requests whose submission was seen, in submission order. */
function submissionOrder(r: RecordedRequests, seen: Uint32Array): Uint32Array {
  return seen.sort((a, b) => r.submitNs[a] - r.submitNs[b] || a - b);
}

/**
 * Link groups (over every request, replayed or not, so a skipped member does
 * not end its link), then their replayed members cut into chains of at most
 * MAX_LINK.
 */
function buildChains(r: RecordedRequests, ordered: Uint32Array, replayed: (i: number) => boolean): Chains & { linksCut: number } {
  const group = new Uint32Array(r.n);
  const open = new Map<number, number>(); // ring -> its unfinished link group
  let groups = 0;
  for (const i of ordered) {
    let g = open.get(r.ring[i]);
    if (g === undefined) g = groups++;
    group[i] = g;
    if (r.sqeFlags[i] & (IOSQE_IO_LINK | IOSQE_IO_HARDLINK)) open.set(r.ring[i], g);
    else open.delete(r.ring[i]);
  }
  // Replayed members per group, laid out group after group, in submission order.
  const size = new Uint32Array(groups + 1);
  for (const i of ordered) if (replayed(i)) size[group[i] + 1]++;
  for (let g = 0; g < groups; g++) size[g + 1] += size[g]; // now: where group g starts
  const members = new Uint32Array(size[groups]);
  const fill = size.slice(0, groups);
  for (const i of ordered) if (replayed(i)) members[fill[group[i]]++] = i;

  let n = 0;
  let linksCut = 0;
  for (let g = 0; g < groups; g++) {
    const len = size[g + 1] - size[g];
    n += Math.ceil(len / MAX_LINK);
    if (len > MAX_LINK) linksCut++;
  }
  const c: Chains = { n, members, first: new Uint32Array(n), count: new Uint32Array(n), start: new Float64Array(n), end: new Float64Array(n) };
  let k = 0;
  for (let g = 0; g < groups; g++) {
    for (let at = size[g]; at < size[g + 1]; at += MAX_LINK, k++) {
      c.first[k] = at;
      c.count[k] = Math.min(MAX_LINK, size[g + 1] - at);
      c.start[k] = r.submitNs[members[at]];
      for (let m = at; m < at + c.count[k]; m++) c.end[k] = Math.max(c.end[k], r.completeNs[members[m]]);
    }
  }
  return { ...c, linksCut };
}

/** Most chains in flight at once: chain intervals [first submit, last completion]. */
function peakConcurrency(c: Chains): number {
  const starts = c.start.slice().sort();
  const ends = c.end.slice().sort();
  let now = 0;
  let peak = 0;
  for (let i = 0, j = 0; i < starts.length; ) {
    if (ends[j] <= starts[i]) { // an end at the same ns as a start comes first
      j++;
      now--;
    } else {
      i++;
      peak = Math.max(peak, ++now);
    }
  }
  return peak;
}

export async function buildReplayStream(path: string, speed: number): Promise<ReplayStream> {
  const r = await readRecordedRequests(path);
  const names = r.scan.header.opNames;
  const skipped: ReplayStream['skipped'] = {};
  const skip = (i: number, reason: string) => {
    const name = opName(names, r.opcode[i]);
    (skipped[name] ??= { count: 0, reason }).count++;
  };

  let nSeen = 0;
  for (let i = 0; i < r.n; i++) if (r.submitNs[i]) nSeen++;
  const seen = new Uint32Array(nSeen);
  for (let i = 0, k = 0; i < r.n; i++) {
    if (r.submitNs[i]) seen[k++] = i;
    else skip(i, 'its submission was not seen by the tracer (before attach, or evicted), so its place in the stream is unknown');
  }

  // Which requests are replayed, as what, on which scratch file.
  const op = new Int16Array(r.n).fill(-1);
  const targetOf = new Map<string, number>();
  const targets: ReplayTarget[] = [];
  const fdIndex = new Uint16Array(r.n);
  for (const i of seen) {
    const name = opName(names, r.opcode[i]);
    const o = replayOpOf(name);
    if (o === undefined) {
      skip(i, skipReason(name));
      continue;
    }
    if (movesData(o) && requestBytes(r, i, o) > MAX_REQUEST_BYTES) {
      skip(i, `moves more than the ${MAX_REQUEST_BYTES >> 20} MiB a replayed request may`);
      continue;
    }
    if (usesFile(o)) {
      const fixed = (r.sqeFlags[i] & IOSQE_FIXED_FILE) !== 0;
      const key = `${r.ring[i]}:${fixed ? 'f' : ''}${r.fd[i]}`;
      let t = targetOf.get(key);
      if (t === undefined) {
        if (targets.length >= MAX_TARGETS) {
          skip(i, `uses a file beyond the ${MAX_TARGETS} a replay stands in for`);
          continue;
        }
        t = targets.length;
        targetOf.set(key, t);
        targets.push({ ctx: `0x${r.ctxs[r.ring[i]].toString(16)}`, fd: r.fd[i], fixed, size: 0 });
      }
      fdIndex[i] = t;
      sizeFor(targets[t], r, i, o);
    }
    op[i] = o;
  }

  const chains = buildChains(r, submissionOrder(r, seen), (i) => op[i] >= 0);
  const requests = chains.members.length;
  if (requests === 0) {
    const what = Object.entries(skipped).map(([name, s]) => `${s.count} ${name} (${s.reason})`).join('; ');
    throw new UserError(`nothing in ${path} can be replayed: ${what}`, EXIT_BAD_RECORDING);
  }
  const byStart = new Uint32Array(chains.n).map((_, k) => k).sort((a, b) => chains.start[a] - chains.start[b] || a - b);

  let bufferBytes = 4096;
  let longestLink = 1;
  let linkedChains = 0;
  for (const i of chains.members) if (movesData(op[i] as ReplayOp)) bufferBytes = Math.max(bufferBytes, requestBytes(r, i, op[i] as ReplayOp));
  bufferBytes = Math.ceil(bufferBytes / 4096) * 4096;
  for (const n of chains.count) {
    longestLink = Math.max(longestLink, n);
    if (n > 1) linkedChains++;
  }
  const recordedConcurrency = peakConcurrency(chains);
  const concurrency = Math.max(
    1,
    Math.min(recordedConcurrency, MAX_REPLAY_INFLIGHT, Math.floor(MAX_BUFFER_ARENA / bufferBytes), Math.floor(MAX_RING_SQES / longestLink)),
  );

  const t0 = chains.start[byStart[0]];
  const startOf = (c: number) => (speed > 0 ? Math.round((chains.start[c] - t0) / speed) : 0);
  const table = new ReplayTableWriter(requests);
  byStart.forEach((c, chain) => {
    const startNs = startOf(c);
    const first = chains.first[c];
    const last = first + chains.count[c] - 1;
    for (let m = first; m <= last; m++) {
      const i = chains.members[m];
      const o = op[i] as ReplayOp;
      let flags = 0;
      if (m < last) flags |= r.sqeFlags[i] & IOSQE_IO_HARDLINK ? RP.HARDLINK : RP.LINK;
      if (r.sqeFlags[i] & IOSQE_ASYNC) flags |= RP.ASYNC;
      if (r.res[i] === -ECANCELED) flags |= RP.CANCELLED;
      table.push({
        chain,
        startNs,
        op: o,
        fd: usesFile(o) ? fdIndex[i] : 0,
        flags,
        len: movesData(o) ? requestBytes(r, i, o) : 0,
        // A timeout is replayed as one that lasts what the recorded one did.
        off: o === US_OP.TIMEOUT ? Math.max(0, r.completeNs[i] - r.submitNs[i]) : usesFile(o) ? r.off[i] : 0,
        res: r.res[i],
      });
    }
  });

  const end = r.scan.end;
  const lastStart = byStart[byStart.length - 1];
  return {
    source: path,
    recorded: r.n,
    requests,
    chains: chains.n,
    linkedChains,
    longestLink,
    linksCut: chains.linksCut,
    recordedConcurrency,
    concurrency,
    speed,
    recordedSpanNs: chains.start[lastStart] - t0,
    scheduledSpanNs: startOf(lastStart),
    bufferBytes,
    targets,
    skipped,
    lost: r.scan.summary.drops + (end?.writerLost ?? 0),
    table: table.bytes(),
  };
}

/** Bytes a data request asks for: a vectored one records its iovec count, so what it moved stands in. */
function requestBytes(r: RecordedRequests, i: number, o: ReplayOp): number {
  return o === US_OP.READV || o === US_OP.WRITEV ? Math.max(0, r.res[i]) : r.len[i];
}

/**
 * A scratch file must let every recorded read return what it returned:
 * as far as the furthest recorded read reached (a read that came back short
 * at the recorded end of file comes back short again). Reads at the file
 * position need as many bytes as they moved. Writes extend it themselves.
 */
function sizeFor(t: ReplayTarget, r: RecordedRequests, i: number, o: ReplayOp): void {
  if (!isRead(o) || r.res[i] <= 0) return;
  if (r.off[i] === CUR_POS) t.size += r.res[i];
  else t.size = Math.max(t.size, r.off[i] + r.res[i]);
}
