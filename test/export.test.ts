// `export` on a real recording: perfetto output is valid Chrome trace JSON
// with well-formed events; CSV has one row per recorded request; json is
// the live NDJSON.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { finalSummary, LOAD, runCli, scratchDir } from './support.js';

const dir = scratchDir();
const rec = join(dir, 'chains.usrec');
const N = 2000;
let live: ReturnType<typeof finalSummary>;
/** The helper's own clock: first submit to last completion, as it measured it. */
let helperNs: number;

beforeAll(async () => {
  const r = await runCli(['record', '-o', rec, '--events', '--json', '--threads', '--interval', '50', '--', LOAD, 'chains', String(N)]);
  expect(r.code).toBe(0);
  live = finalSummary(r.stdout);
  helperNs = Number(/elapsed_ns=(\d+)/.exec(r.stdout + r.stderr)?.[1]);
  expect(helperNs).toBeGreaterThan(0);
});

describe('export', () => {
  test('csv: a header and one row per recorded request, fields decoded', async () => {
    const out = join(dir, 'chains.csv');
    const r = await runCli(['export', rec, '--format', 'csv', '-o', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    const head = lines[0].split(',');
    expect(head).toEqual(expect.arrayContaining(['submit_ns', 'complete_ns', 'tgid', 'submit_tid', 'ctx', 'user_data', 'op', 'sqe_flags', 'flags', 'fd', 'off', 'len', 'res', 'cflags']));
    const rows = lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [head[i], v])));
    expect(rows).toHaveLength(3 * N);
    expect(rows).toHaveLength(live.events!.received);
    expect(rows.filter((r) => r.op === 'READ')).toHaveLength(N);
    const nops = rows.filter((r) => r.op === 'NOP');
    expect(nops.filter((r) => r.res === '-125')).toHaveLength(2 * N);
    // READ and the first NOP of each chain carry IOSQE_IO_LINK
    expect(rows.filter((r) => r.op === 'READ').every((r) => r.flags.includes('IO_LINK') && r.len === '4096')).toBe(true);
    for (const r of rows.slice(0, 50)) {
      expect(BigInt(r.complete_ns)).toBeGreaterThanOrEqual(BigInt(r.submit_ns));
      expect(r.ctx).toMatch(/^0x[0-9a-f]+$/);
    }
    // stdout works too
    const s = await runCli(['export', rec, '--format', 'csv']);
    expect(s.code).toBe(0);
    expect(s.stdout.trimEnd().split('\n')).toHaveLength(3 * N + 1);
  });

  test('perfetto: valid JSON, well-formed events, one slice per request, counters', async () => {
    const out = join(dir, 'chains.trace.json');
    const r = await runCli(['export', rec, '--format', 'perfetto', '-o', out]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(readFileSync(out, 'utf8')) as { traceEvents: Record<string, any>[] };
    expect(Array.isArray(doc.traceEvents)).toBe(true);
    const ev = doc.traceEvents;
    for (const e of ev) {
      expect(['X', 'B', 'E', 'C', 'M']).toContain(e.ph);
      expect(typeof e.name).toBe('string');
      expect(Number.isInteger(e.pid)).toBe(true);
      if (e.ph !== 'M') expect(typeof e.ts === 'number' && Number.isFinite(e.ts) && e.ts > 0).toBe(true);
      if (e.ph === 'X') {
        expect(Number.isInteger(e.tid)).toBe(true);
        expect(e.dur).toBeGreaterThanOrEqual(0);
        expect(e.dur).toBeLessThan(1e6); // µs: no request of this run took a second
      }
      if (e.ph === 'C') expect(Object.values(e.args).every((v) => typeof v === 'number')).toBe(true);
    }
    const slices = ev.filter((e) => e.ph === 'X');
    expect(slices).toHaveLength(3 * N);
    expect(slices.filter((e) => e.name === 'READ')).toHaveLength(N);
    // ts are in µs: the slices span the run's duration (ns in the summary)
    const t0 = Math.min(...slices.map((e) => e.ts));
    const t1 = Math.max(...slices.map((e) => e.ts + e.dur));
    // The slices span the helper's busy time (its own clock), inside the traced run; the
    // run's duration also holds attach and detach, so it bounds the span from above only.
    expect((t1 - t0) * 1000).toBeLessThanOrEqual(live.durationNs * 1.05);
    expect((t1 - t0) * 1000).toBeGreaterThan(helperNs * 0.5);
    expect((t1 - t0) * 1000).toBeLessThan(helperNs * 1.5 + 1e6);
    // slices on one track never overlap without nesting
    const byTrack = new Map<string, { ts: number; end: number }[]>();
    for (const e of slices) {
      const k = `${e.pid}/${e.tid}`;
      if (!byTrack.has(k)) byTrack.set(k, []);
      byTrack.get(k)!.push({ ts: e.ts, end: e.ts + e.dur });
    }
    for (const list of byTrack.values()) {
      list.sort((a, b) => a.ts - b.ts);
      for (let i = 1; i < list.length; i++) expect(list[i].ts).toBeGreaterThanOrEqual(list[i - 1].end - 1e-6);
    }
    // the tracks are named; counters for in-flight requests and context switches
    expect(ev.filter((e) => e.ph === 'M' && e.name === 'thread_name').length).toBe(byTrack.size);
    const inflight = ev.filter((e) => e.ph === 'C' && e.name === 'requests in flight');
    expect(inflight.length).toBeGreaterThan(0);
    expect(inflight.every((e) => e.args.requests >= 0 && e.args.requests <= 3)).toBe(true);
    expect(inflight.at(-1)!.args.requests).toBe(0);
    expect(ev.some((e) => e.ph === 'C' && e.name === 'context switches')).toBe(true);
  });

  test('json: the live NDJSON summary', async () => {
    const r = await runCli(['export', rec, '--format', 'json']);
    expect(r.code).toBe(0);
    expect(finalSummary(r.stdout)).toEqual(live);
  });

  test('bad format and unwritable output: one line', async () => {
    let r = await runCli(['export', rec, '--format', 'xml']);
    expect(r.code).toBe(2);
    r = await runCli(['export', rec, '--format', 'csv', '-o', '/nonexistent/dir/x.csv']);
    expect(r.code).toBe(73); // EX_CANTCREAT
    expect(r.stderr).toMatch(/^uringscope: cannot write \/nonexistent\/dir\/x\.csv: ENOENT\n$/);
  });
});
