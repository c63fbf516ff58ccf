// One streaming pass over a recording: header, interval records, the end
// record, event batches handed to a visitor (never kept), and what a cut
// or corrupt file lost. Memory: the interval summaries (one per interval)
// plus the reader's window.
import { EventBatch } from '../tracers/layout.js';
import { emptySnapshot, summarize, type LatencySummary, type Summary } from '../tracers/summary.js';
import {
  ChunkType, EVENT_LAYOUT, snapshotFromJson,
  type EndRecord, type IntervalRecord, type RecordingHeader, type SnapshotJson,
} from './format.js';
import { RecordingReader, type Damage } from './reader.js';

export interface ScanVisitor {
  /** Called once, before any other chunk. */
  header?(h: RecordingHeader): void | Promise<void>;
  /** Each events chunk as a batch (a fresh ArrayBuffer; it may be kept). */
  events?(batch: EventBatch): void | Promise<void>;
  interval?(rec: IntervalRecord): void | Promise<void>;
}

export interface Scan {
  path: string;
  size: number;
  header: RecordingHeader;
  intervals: IntervalRecord[];
  end?: EndRecord;
  damage?: Damage;
  /** Bytes read up to the last complete chunk. */
  goodBytes: number;
  chunks: number;
  events: number;
  /** Where the summary comes from: the end chunk (exact, equal to the live one), the last
   * cumulative snapshot (exact up to that interval), or summed intervals (percentiles approximate). */
  summarySource: 'end' | 'snapshot' | 'intervals';
  summary: Summary;
}

export async function scanRecording(path: string, visit: ScanVisitor = {}): Promise<Scan> {
  const r = await RecordingReader.open(path);
  const intervals: IntervalRecord[] = [];
  let firstSnap: { ktimeNs: number; durationNs: number } | undefined;
  let lastSnap: SnapshotJson | undefined;
  let end: EndRecord | undefined;
  let chunks = 1;
  let events = 0;
  try {
    if (visit.header) await visit.header(r.header);
    for await (const c of r.chunks()) {
      if (c.type === ChunkType.EVENTS) {
        if (c.payload.byteLength % EVENT_LAYOUT.size !== 0) {
          r.corruptContent(c, `${c.payload.byteLength} bytes is not a whole number of ${EVENT_LAYOUT.size}-byte records`);
          break;
        }
        chunks++;
        events += c.payload.byteLength / EVENT_LAYOUT.size;
        if (visit.events) {
          const copy = new Uint8Array(c.payload).buffer; // own the bytes: the window is reused
          await visit.events(new EventBatch(copy));
        }
        continue;
      }
      if (c.type !== ChunkType.INTERVAL && c.type !== ChunkType.END) {
        chunks++; // a chunk type added later: skipped
        continue;
      }
      const value = r.json(c);
      if (value === undefined) {
        r.corruptContent(c, 'not valid JSON');
        break;
      }
      chunks++;
      if (c.type === ChunkType.INTERVAL) {
        const rec = value as IntervalRecord;
        if (rec.snapshot) {
          firstSnap ??= { ktimeNs: rec.snapshot.ktimeNs, durationNs: rec.summary.durationNs };
          lastSnap = rec.snapshot;
        }
        if (visit.interval) await visit.interval(rec);
        intervals.push({ ktimeNs: rec.ktimeNs, summary: rec.summary, writerLost: rec.writerLost });
      } else {
        end = value as EndRecord;
      }
    }
  } finally {
    await r.close();
  }
  const h = r.header;
  let summary: Summary;
  let summarySource: Scan['summarySource'];
  if (end) {
    summary = end.summary;
    summarySource = 'end';
  } else if (lastSnap && firstSnap) {
    const startNs = firstSnap.ktimeNs - firstSnap.durationNs;
    summary = summarize(snapshotFromJson(lastSnap, h.histBuckets), {
      type: 'summary',
      durationNs: lastSnap.ktimeNs - startNs,
      opNames: h.opNames,
      events: h.events,
      threads: !!h.config.threads,
    });
    summarySource = 'snapshot';
  } else {
    summary = mergeIntervals(intervals.map((i) => i.summary), h);
    summarySource = 'intervals';
  }
  return {
    path, size: r.size, header: h, intervals, end, damage: r.damage, goodBytes: r.goodBytes, chunks, events,
    summarySource, summary,
  };
}

function addNumbers(into: Record<string, unknown>, from: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(from)) {
    if (typeof v === 'number') into[k] = ((into[k] as number | undefined) ?? 0) + v;
    else if (v && typeof v === 'object' && !Array.isArray(v)) {
      if (!into[k] || typeof into[k] !== 'object') into[k] = {};
      addNumbers(into[k] as Record<string, unknown>, v as Record<string, unknown>);
    }
  }
}

/** Sums interval summaries (counts exact; latency percentiles count-weighted, so approximate; max exact). */
export function mergeIntervals(list: Summary[], h: RecordingHeader): Summary {
  const out = summarize(emptySnapshot(0), { type: 'summary', durationNs: 0, opNames: h.opNames, events: h.events });
  const lat: Record<string, LatencySummary> = {};
  for (const s of list) {
    const { requests, threads: _t, type: _y, engine: _e, ...rest } = s;
    addNumbers(out as unknown as Record<string, unknown>, rest as unknown as Record<string, unknown>);
    for (const [op, r] of Object.entries(requests)) {
      const o = (out.requests[op] ??= { submitted: 0, completed: 0, errors: 0, cancelled: 0, latencyNs: { count: 0, p50: 0, p90: 0, p99: 0, max: 0 } });
      o.submitted += r.submitted;
      o.completed += r.completed;
      o.errors += r.errors;
      o.cancelled += r.cancelled;
      const l = (lat[op] ??= { count: 0, p50: 0, p90: 0, p99: 0, max: 0 });
      const n = r.latencyNs.count;
      l.p50 += r.latencyNs.p50 * n;
      l.p90 += r.latencyNs.p90 * n;
      l.p99 += r.latencyNs.p99 * n;
      l.count += n;
      l.max = Math.max(l.max, r.latencyNs.max);
    }
  }
  for (const [op, l] of Object.entries(lat)) {
    const n = Math.max(1, l.count);
    out.requests[op].latencyNs = { count: l.count, p50: Math.round(l.p50 / n), p90: Math.round(l.p90 / n), p99: Math.round(l.p99 / n), max: l.max };
  }
  return out;
}
