// trace --anatomy's path counts from the tracer's snapshots to the summary and
// the table: interval deltas, the per-opcode `anatomy` object, its removal when
// the kernel could not give it, and the table's shares. Pure logic: snapshots
// are built here (the kernel side runs in the lab, lab/checks/anatomy.ts).
import { renderSummary } from '../../cli/summary-table.js';
import type { NativeOpStats, NativeSnapshot, PathName } from '../../native/index.js';
import { ABI } from '../../core/abi.js';
import { emptySnapshot, forJson, snapshotDelta, summarize } from '../../tracers/summary.js';

const READ = 22;
const names: string[] = [];
names[READ] = 'READ';

function op(latCount: number, paths?: Partial<Record<PathName, number>>): NativeOpStats {
  const hist = new Float64Array(ABI.histBuckets);
  hist[40] = latCount;
  const full = paths && { inline: 0, poll: 0, iowq: 0, block: 0, queued: 0, ...paths };
  return { opcode: READ, submitted: latCount, completed: latCount, errors: 0, cancelled: 0, latCount, latSumNs: latCount * 1000, latMaxNs: 1000, hist, ...(full ? { paths: full } : {}) };
}

function snap(o: NativeOpStats, ktimeNs = 1e9): NativeSnapshot {
  return { ...emptySnapshot(ktimeNs), ops: [o] };
}

const opts = { type: 'summary' as const, durationNs: 1e9, opNames: names, events: false };

test('the path names are the C enum (core/abi.ts)', () => {
  expect(Object.keys(ABI.path)).toEqual(['inline', 'poll', 'iowq', 'block', 'queued']);
});

test('a snapshot with paths gives each opcode an anatomy object', () => {
  const s = summarize(snap(op(10, { inline: 6, block: 4 })), opts);
  expect(s.requests.READ.anatomy).toEqual({ paths: { inline: 6, poll: 0, iowq: 0, block: 4, queued: 0 } });
});

test('without --anatomy there is no anatomy object', () => {
  expect(summarize(snap(op(10)), opts).requests.READ.anatomy).toBeUndefined();
});

test('an interval counts the paths taken since the last one', () => {
  const d = snapshotDelta(snap(op(30, { iowq: 25, poll: 5 }), 2e9), snap(op(10, { iowq: 10 })));
  expect(d.ops[0].paths).toEqual({ inline: 0, poll: 5, iowq: 15, block: 0, queued: 0 });
});

test('a kernel that cannot give the paths: anatomy left out of the JSON, the reason kept', () => {
  const s = summarize(snap(op(10, { inline: 10 })), { ...opts, absent: { paths: 'no fentry here' } });
  const j = forJson(s);
  expect(j.requests.READ.anatomy).toBeUndefined();
  expect(j.absent).toEqual({ paths: 'no fentry here' });
});

test('the table gives each path its share of the opcode\'s requests', () => {
  const out = renderSummary(summarize(snap(op(8, { inline: 2, block: 6 })), opts), 'summary');
  expect(out).toMatch(/^\s+paths\s+inline\s+poll\s+iowq\s+block\s+queued$/m);
  expect(out).toMatch(/^\s+READ\s+25\.0%\s+0\.0%\s+0\.0%\s+75\.0%\s+0\.0%$/m);
  expect(renderSummary(summarize(snap(op(8)), opts), 'summary')).not.toMatch(/paths/);
});
