// trace --anatomy's phases from the tracer's snapshots to the summary, the
// table and recordings: interval deltas, the per-opcode `phases` and `timed`
// objects, their removal when the kernel could not give them, the table's
// shares, and the snapshot JSON round trip. Pure logic: snapshots are built
// here (the kernel side runs in the lab, lab/checks/anatomy.ts).
import { renderSummary } from '../../cli/summary-table.js';
import type { NativeOpStats, NativePhases, NativeDist, NativeSnapshot, PhaseName } from '../../native/index.js';
import { ABI } from '../../core/abi.js';
import { snapshotFromJson, snapshotToJson } from '../../recording/format.js';
import { chunkProblem } from '../../recording/chunk-check.js';
import { ChunkType } from '../../recording/format.js';
import { bucketOf } from '../../tracers/histogram.js';
import { emptySnapshot, forJson, snapshotDelta, summarize } from '../../tracers/summary.js';

const READ = 22;
const names: string[] = [];
names[READ] = 'READ';
const PHASES = Object.keys(ABI.phase) as PhaseName[];

/** `n` requests that each spent `ns` in the phase. */
function phase(n: number, ns: number): NativeDist {
  const hist = new Float64Array(ABI.histBuckets);
  if (n) hist[bucketOf(ns)] = n;
  return { count: n, sumNs: n * ns, maxNs: n ? ns : 0, hist };
}

/** `n` requests, each with the given phase durations. */
function phases(n: number, each: Partial<Record<PhaseName, number>>): NativePhases {
  const byPhase = Object.fromEntries(PHASES.map((p) => [p, phase(each[p] ? n : 0, each[p] ?? 0)])) as Record<PhaseName, NativeDist>;
  const per = Object.values(each).reduce((a, v) => a + (v ?? 0), 0);
  return { requests: n, timedNs: n * per, byPhase };
}

function op(n: number, ph?: NativePhases): NativeOpStats {
  const hist = new Float64Array(ABI.histBuckets);
  hist[40] = n;
  return { opcode: READ, submitted: n, completed: n, errors: 0, cancelled: 0, latCount: n, latSumNs: n * 1000, latMaxNs: 1000, hist, ...(ph ? { phases: ph } : {}) };
}

function snap(o: NativeOpStats, ktimeNs = 1e9): NativeSnapshot {
  return { ...emptySnapshot(ktimeNs), ops: [o] };
}

const opts = { type: 'summary' as const, durationNs: 1e9, opNames: names, events: false };

test('the phase names are the C enum (core/abi.ts), in the order they take precedence', () => {
  expect(PHASES).toEqual(['device', 'iowqRun', 'iowqWait', 'pollWait', 'issue', 'complete']);
});

test('phases give the opcode timed requests and each phase\'s distribution and sum', () => {
  const s = summarize(snap(op(10, phases(10, { issue: 2000, device: 40000, complete: 3000 }))), opts);
  const a = s.requests.READ.anatomy!;
  expect(a.timed).toEqual({ requests: 10, ns: 450000 });
  expect(a.phases!.device).toMatchObject({ count: 10, sumNs: 400000, max: 40000 });
  expect(bucketOf(a.phases!.device.p50)).toBe(bucketOf(40000));
  expect(a.phases!.iowqWait).toEqual({ count: 0, sumNs: 0, p50: 0, p90: 0, p99: 0, max: 0 });
  // The phases' sums add up to the timed requests' latencies.
  expect(PHASES.reduce((t, p) => t + a.phases![p].sumNs, 0)).toBe(a.timed!.ns);
  expect(a.paths).toBeUndefined();
});

test('an interval counts the phases of the requests completed since the last one', () => {
  const d = snapshotDelta(snap(op(30, phases(30, { iowqWait: 500, iowqRun: 9000 })), 2e9), snap(op(10, phases(10, { iowqWait: 500, iowqRun: 9000 }))));
  expect(d.ops[0].phases!.requests).toBe(20);
  expect(d.ops[0].phases!.timedNs).toBe(20 * 9500);
  expect(d.ops[0].phases!.byPhase.iowqRun).toMatchObject({ count: 20, sumNs: 20 * 9000 });
  expect(d.ops[0].phases!.byPhase.iowqRun.hist[bucketOf(9000)]).toBe(20);
});

test('a kernel that cannot give the phases: left out of the JSON, the reason kept', () => {
  const s = forJson(summarize(snap(op(10, phases(10, { issue: 100 }))), { ...opts, absent: { phases: 'no fentry here' } }));
  expect(s.requests.READ.anatomy).toBeUndefined();
  expect(s.absent).toEqual({ phases: 'no fentry here' });
});

test('the table gives each phase a request spent time in: its share of the summed latency, p50, p99, max', () => {
  const out = renderSummary(summarize(snap(op(4, phases(4, { issue: 1000, pollWait: 3000 }))), opts), 'summary');
  expect(out).toMatch(/^\s+where the time goes\s+requests\s+share\s+p50\s+p99\s+max$/m);
  expect(out).toMatch(/^\s+READ pollWait\s+4\s+75\.0%\s/m);
  expect(out).toMatch(/^\s+READ issue\s+4\s+25\.0%\s/m);
  expect(out).not.toMatch(/READ device/);
  expect(renderSummary(summarize(snap(op(4)), opts), 'summary')).not.toMatch(/where the time goes/);
});

test('a recording keeps the phases: snapshot JSON round trip, and its schema accepts it', () => {
  const s = snap(op(5, phases(5, { device: 12345, complete: 10 })));
  const j = snapshotToJson(s);
  expect(j.ops[0].phases!.byPhase.device.hist).toEqual([[bucketOf(12345), 5]]);
  const back = snapshotFromJson(JSON.parse(JSON.stringify(j)), ABI.histBuckets);
  expect(back).toEqual(s);
  const summary = summarize(s, opts);
  expect(chunkProblem(ChunkType.INTERVAL, JSON.parse(JSON.stringify({ ktimeNs: 1, summary, snapshot: j, writerLost: 0 })))).toBeUndefined();
  const bad = JSON.parse(JSON.stringify(j));
  delete bad.ops[0].phases.byPhase.device;
  expect(chunkProblem(ChunkType.INTERVAL, { ktimeNs: 1, summary, snapshot: bad, writerLost: 0 })).toMatch(/device/);
});
