// `report`: what a recording says — the contract summary, latency
// percentiles per opcode, the most frequent errors — and the side-by-side
// diff of two recordings. Pure data; cli/report.ts renders it.
import { constants } from 'node:os';
import { opName, type Summary } from '../tracers/summary.js';
import type { RecordingHeader } from './format.js';
import { scanRecording, type Scan } from './scan.js';
import { errnoName } from '../core/errno.js';
import { traceEnded, type EndReason, type TraceEnded } from '../tracers/trace-end.js';

export interface RecordingInfo {
  file: string;
  formatVersion: number;
  tool: string;
  createdAt: string;
  kernel: string;
  cpu: string;
  mode: RecordingHeader['mode'];
  commandLine: string[];
  complete: boolean;
  bytes: number;
  chunks: number;
  intervals: number;
  /** Request records in the file, and those lost: by the tracer (summary.drops) and by the writer. */
  events?: { recorded: number; droppedByTracer: number; droppedByWriter: number };
  summarySource: Scan['summarySource'];
  damage?: { kind: string; offset: number; lostBytes: number; message: string };
  /** How the recorded trace ended (from the end chunk; absent when the file has none). */
  ended?: TraceEnded;
}

export interface LatencyRow {
  op: string;
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface ErrorRow {
  op: string;
  /** errno name (ECANCELED, EAGAIN...) or "errors" when only the count per opcode is known. */
  error: string;
  res?: number;
  count: number;
}

export interface Report {
  type: 'report';
  recording: RecordingInfo;
  latency: LatencyRow[];
  topErrors: ErrorRow[];
  /** Where the error rows come from: every recorded request, or the per-opcode counters. */
  errorsFrom: 'events' | 'summary';
}

export interface ReportResult {
  summary: Summary;
  report: Report;
}


const TOP_ERRORS = 10;

export async function buildReport(path: string): Promise<ReportResult> {
  const errors = new Map<number, number>(); // key: opcode * 2^16 + (-res)
  const scan = await scanRecording(path, {
    events: (b) => {
      const v = b.view;
      for (let o = 0; o < b.buffer.byteLength; o += 80) {
        const res = v.getInt32(o + 64, true);
        if (res < 0) {
          const k = v.getUint8(o + 76) * 65536 + Math.min(65535, -res);
          errors.set(k, (errors.get(k) ?? 0) + 1);
        }
      }
    },
  });
  const h = scan.header;
  const s = scan.summary;
  const latency: LatencyRow[] = Object.entries(s.requests).map(([op, r]) => ({ op, ...r.latencyNs }));
  let topErrors: ErrorRow[];
  let errorsFrom: Report['errorsFrom'];
  if (h.events && scan.events > 0) {
    errorsFrom = 'events';
    topErrors = [...errors.entries()].map(([k, count]) => {
      const res = -(k % 65536);
      return { op: opName(h.opNames, Math.floor(k / 65536)), error: errnoName(res), res, count };
    });
  } else {
    errorsFrom = 'summary';
    topErrors = [];
    for (const [op, r] of Object.entries(s.requests)) {
      if (r.cancelled) topErrors.push({ op, error: 'ECANCELED', res: -constants.errno.ECANCELED, count: r.cancelled });
      if (r.errors) topErrors.push({ op, error: 'errors', count: r.errors });
    }
  }
  topErrors.sort((a, b) => b.count - a.count || a.op.localeCompare(b.op));
  const recording = recordingInfo(path, scan);
  return {
    summary: s,
    report: { type: 'report', recording, latency, topErrors: topErrors.slice(0, TOP_ERRORS), errorsFrom },
  };
}

/** What a scan says about the file: where it comes from, how complete it is, what a cut lost. */
export function recordingInfo(path: string, scan: Scan): RecordingInfo {
  const h = scan.header;
  const s = scan.summary;
  const lostByWriter = scan.end?.writerLost ?? scan.intervals.at(-1)?.writerLost ?? 0;
  const recording: RecordingInfo = {
    file: path,
    formatVersion: h.formatVersion,
    tool: `${h.tool.name} ${h.tool.version}`,
    createdAt: h.createdAt,
    kernel: `${h.kernel.release} ${h.kernel.arch}`,
    cpu: `${h.cpu.count} x ${h.cpu.model}`,
    mode: h.mode,
    commandLine: h.commandLine,
    complete: !!scan.end && !scan.damage,
    bytes: scan.size,
    chunks: scan.chunks,
    intervals: scan.intervals.length,
    summarySource: scan.summarySource,
  };
  if (h.events) recording.events = { recorded: scan.events, droppedByTracer: s.drops, droppedByWriter: lostByWriter };
  if (scan.end && h.mode === 'trace') recording.ended = traceEnded({ reason: scan.end.reason as EndReason, exitCode: scan.end.exitCode, exitSignal: scan.end.signal });
  if (scan.damage) recording.damage = { ...scan.damage };
  else if (!scan.end) {
    recording.damage = {
      kind: 'no-end', offset: scan.goodBytes, lostBytes: 0,
      message: `no end chunk after byte ${scan.goodBytes}: the recording was interrupted`,
    };
  }
  return recording;
}

/** One line saying what an incomplete recording lost (undefined when complete). */
export function lossLine(r: RecordingInfo): string | undefined {
  if (r.complete || !r.damage) return undefined;
  const d = r.damage;
  const lost = d.lostBytes ? `${d.lostBytes} bytes after it lost` : 'nothing after it';
  return `${r.file}: incomplete recording, ${d.message}; read ${r.chunks} chunks (${r.intervals} intervals${r.events ? `, ${r.events.recorded} events` : ''}) up to there, ${lost}; summary from ${r.summarySource === 'intervals' ? 'the summed intervals (percentiles approximate)' : r.summarySource === 'snapshot' ? 'the last interval snapshot' : 'the end chunk'}`;
}

export interface DiffRow {
  metric: string;
  a: number;
  b: number;
  /** b / a (null when a is 0). */
  ratio: number | null;
}

export interface Diff {
  type: 'diff';
  a: string;
  b: string;
  rows: DiffRow[];
}

function row(metric: string, a: number | undefined, b: number | undefined): DiffRow {
  const x = a ?? 0;
  const y = b ?? 0;
  return { metric, a: x, b: y, ratio: x ? y / x : null };
}

function totalRequests(s: Summary): number {
  return Object.values(s.requests).reduce((n, r) => n + r.completed, 0);
}

/** Side by side: per-opcode counts and latency, syscalls, switches, engine figures; ratio = B/A. */
export function diffSummaries(fileA: string, a: Summary, fileB: string, b: Summary): Diff {
  const rows: DiffRow[] = [row('durationNs', a.durationNs, b.durationNs)];
  const ops = [...new Set([...Object.keys(a.requests), ...Object.keys(b.requests)])];
  for (const op of ops) {
    const x = a.requests[op];
    const y = b.requests[op];
    for (const k of ['submitted', 'completed', 'cancelled', 'errors'] as const) rows.push(row(`${op}.${k}`, x?.[k], y?.[k]));
    for (const k of ['p50', 'p90', 'p99', 'max'] as const) rows.push(row(`${op}.latency.${k}`, x?.latencyNs[k], y?.latencyNs[k]));
  }
  const ra = totalRequests(a);
  const rb = totalRequests(b);
  rows.push(row('requests.completed', ra, rb));
  rows.push(row('requests/s', a.durationNs ? ra / (a.durationNs / 1e9) : 0, b.durationNs ? rb / (b.durationNs / 1e9) : 0));
  rows.push(row('failLinks', a.failLinks, b.failLinks));
  rows.push(row('reqFailed', a.reqFailed, b.reqFailed));
  rows.push(row('asyncPunts', a.asyncPunts, b.asyncPunts));
  rows.push(row('enter.calls', a.enter.calls, b.enter.calls));
  rows.push(row('enter.calls/request', ra ? a.enter.calls / ra : 0, rb ? b.enter.calls / rb : 0));
  rows.push(row('ctxSwitches.voluntary', a.ctxSwitches.voluntary, b.ctxSwitches.voluntary));
  rows.push(row('ctxSwitches.involuntary', a.ctxSwitches.involuntary, b.ctxSwitches.involuntary));
  rows.push(row('ctxSwitches.app.voluntary', a.ctxSwitches.byThread.app.voluntary, b.ctxSwitches.byThread.app.voluntary));
  rows.push(row('drops', a.drops, b.drops));
  const ea = a.engine as Record<string, unknown> | undefined;
  const eb = b.engine as Record<string, unknown> | undefined;
  if (ea || eb) {
    const num = (e: Record<string, unknown> | undefined, k: string) => (typeof e?.[k] === 'number' ? (e[k] as number) : undefined);
    for (const k of ['chains', 'steps', 'resubmits', 'cancelled', 'retries', 'bytes', 'wallNs', 'cpuNs', 'enterCalls']) {
      rows.push(row(`engine.${k}`, num(ea, k), num(eb, k)));
    }
    const lat = (e: Record<string, unknown> | undefined, k: 'p50' | 'p99') =>
      (e?.chainLatencyNs as Record<string, number> | undefined)?.[k];
    rows.push(row('engine.chainLatency.p50', lat(ea, 'p50'), lat(eb, 'p50')));
    rows.push(row('engine.chainLatency.p99', lat(ea, 'p99'), lat(eb, 'p99')));
    const rate = (e: Record<string, unknown> | undefined) => {
      const steps = num(e, 'steps');
      const wall = num(e, 'wallNs');
      return steps !== undefined && wall ? steps / (wall / 1e9) : undefined;
    };
    rows.push(row('engine.steps/s', rate(ea), rate(eb)));
  }
  return { type: 'diff', a: fileA, b: fileB, rows };
}
