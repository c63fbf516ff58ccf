// io_uring_enter's waits and the reap after them, from the tracer's snapshots
// to the summary, the table and recordings: the `waits` object and its
// endings, `reap` (--anatomy) and its interval delta, their removal when the
// kernel cannot give them, the table's line and the snapshot JSON round trip.
// Pure logic: snapshots are built here (the kernel side: test/trace-waits.test.ts).
import { renderSummary } from '../../cli/summary-table.js';
import type { NativeDist, NativeSnapshot } from '../../native/index.js';
import { ABI } from '../../core/abi.js';
import { chunkProblem } from '../../recording/chunk-check.js';
import { ChunkType, snapshotFromJson, snapshotToJson } from '../../recording/format.js';
import { bucketOf } from '../../tracers/histogram.js';
import { emptySnapshot, forJson, snapshotDelta, summarize } from '../../tracers/summary.js';

function dist(n: number, ns: number): NativeDist {
  const hist = new Float64Array(ABI.histBuckets);
  if (n) hist[bucketOf(ns)] = n;
  return { count: n, sumNs: n * ns, maxNs: n ? ns : 0, hist };
}

function snap(ktimeNs: number, waits: number, reap?: NativeDist): NativeSnapshot {
  const s = emptySnapshot(ktimeNs);
  Object.assign(s.counters, { waits, waitNs: waits * 2e6, waitsEvents: waits - 2, waitsTimeout: 1, waitsSignal: 1, waitsError: 0 });
  return reap ? { ...s, reap } : s;
}

const opts = { type: 'summary' as const, durationNs: 1e9, opNames: [], events: false };

test('waits: how many, their off-CPU time, and what ended them', () => {
  expect(summarize(snap(1e9, 10), opts).waits).toEqual({ count: 10, offCpuNs: 2e7, ended: { events: 8, timeout: 1, signal: 1, error: 0 } });
});

test('reap only with --anatomy, as a distribution with its sum; an interval has the waits since the last one', () => {
  expect(summarize(snap(1e9, 10), opts).reap).toBeUndefined();
  const s = summarize(snap(1e9, 10, dist(8, 3000)), opts);
  expect(s.reap).toMatchObject({ count: 8, sumNs: 24000, max: 3000 });
  expect(bucketOf(s.reap!.p50)).toBe(bucketOf(3000));
  const d = snapshotDelta(snap(2e9, 30, dist(20, 3000)), snap(1e9, 10, dist(8, 3000)));
  expect(d.reap).toMatchObject({ count: 12, sumNs: 36000 });
  expect(d.counters.waits).toBe(20);
});

test('a kernel without the wait tracepoint: waits and reap left out, the reason kept', () => {
  const s = forJson(summarize(snap(1e9, 10, dist(8, 3000)), { ...opts, absent: { waits: 'no tracepoint io_uring_cqring_wait' } }));
  expect(s.waits).toBeUndefined();
  expect(s.reap).toBeUndefined();
});

test('the table: a waits line, with the reap under --anatomy', () => {
  expect(renderSummary(summarize(snap(1e9, 10), opts), 'summary')).toMatch(/^ {2}waits 10, 20\.0ms off-CPU: ended by events 8, timeout 1, signal 1, error 0$/m);
  expect(renderSummary(summarize(snap(1e9, 10, dist(8, 3000)), opts), 'summary')).toMatch(/error 0; reap p50 \S+ p99 \S+ max 3\.00µs$/m);
});

test('a recording keeps the reap: snapshot JSON round trip, and its schema accepts it', () => {
  const s = snap(1e9, 10, dist(8, 3000));
  const j = snapshotToJson(s);
  expect(j.reap!.hist).toEqual([[bucketOf(3000), 8]]);
  expect(snapshotFromJson(JSON.parse(JSON.stringify(j)), ABI.histBuckets)).toEqual(s);
  const summary = summarize(s, opts);
  expect(chunkProblem(ChunkType.INTERVAL, JSON.parse(JSON.stringify({ ktimeNs: 1, summary, snapshot: j, writerLost: 0 })))).toBeUndefined();
});
