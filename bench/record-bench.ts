// npm run bench:record — recording and exporting 10M request records in
// bounded memory. Records `uring_load nops N 256` (NOPs handed to io_uring
// as fast as it takes them) with --events, then reports and exports the
// file, each step under /usr/bin/time -v; prints wall time, peak RSS and
// throughput per step, and fails when a step's peak RSS exceeds the bound.
//
// The bound: RSS_BOUND_MIB (default 400 MiB) for every step. Recording
// queues at most 256 MiB of batches for the disk before it drops (and
// counts) batches; readers use a 4 MiB window; exports flush every 1 MiB.
// Neither grows with the number of records.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../core/package-root.js';

const events = Number(process.env.EVENTS ?? 10_000_000);
const boundMiB = Number(process.env.RSS_BOUND_MIB ?? 400);
const keep = !!process.env.KEEP;
const dir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'uringscope-record-bench-'));
const cli = join(packageRoot(), 'dist', 'bin', 'uringscope.js');
const load = join(packageRoot(), 'build', 'helpers', 'uring_load');
const rec = join(dir, 'nops.usrec');

interface Step {
  step: string;
  wallS: number;
  rssMiB: number;
  records: number;
  outBytes: number;
  note: string;
}

function timed(args: string[], stdout?: string): { wallS: number; rssMiB: number; out: string; err: string } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-v', process.execPath, cli, ...args], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024,
  });
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`uringscope ${args.join(' ')} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  if (!m) throw new Error(`no RSS in /usr/bin/time output: ${r.stderr.slice(-500)}`);
  void stdout;
  return { wallS, rssMiB: Number(m[1]) / 1024, out: r.stdout, err: r.stderr };
}

function size(p: string): number {
  try {
    return statSync(p).size;
  } catch {
    return 0;
  }
}

const steps: Step[] = [];
try {
  // 1. record
  const r1 = timed(['record', '-o', rec, '--events', '--json', '--interval', '1000', '--', load, 'nops', String(events), '256']);
  const lines = r1.out.trim().split('\n').map((l) => JSON.parse(l) as { type: string; drops: number; events?: { received: number } });
  const summary = lines.find((l) => l.type === 'summary')!;
  const rep = JSON.parse(
    spawnSync(process.execPath, [cli, 'report', rec, '--json'], { encoding: 'utf8', maxBuffer: 1 << 26 }).stdout.trim().split('\n')[1],
  ) as { recording: { events: { recorded: number; droppedByTracer: number; droppedByWriter: number } } };
  const recorded = rep.recording.events.recorded;
  steps.push({
    step: 'record --events', wallS: r1.wallS, rssMiB: r1.rssMiB, records: recorded, outBytes: size(rec),
    note: `received ${summary.events?.received}, dropped by tracer ${summary.drops}, by writer ${rep.recording.events.droppedByWriter}`,
  });
  // 2. report
  const r2 = timed(['report', rec, '--json']);
  steps.push({ step: 'report', wallS: r2.wallS, rssMiB: r2.rssMiB, records: recorded, outBytes: r2.out.length, note: '' });
  // 3. exports
  for (const fmt of ['csv', 'perfetto', 'json'] as const) {
    const out = join(dir, `out.${fmt}`);
    const r = timed(['export', rec, '--format', fmt, '-o', out]);
    steps.push({ step: `export ${fmt}`, wallS: r.wallS, rssMiB: r.rssMiB, records: recorded, outBytes: size(out), note: '' });
    rmSync(out, { force: true });
  }
} finally {
  if (!keep) rmSync(dir, { recursive: true, force: true });
}

const mib = (b: number) => (b / 1048576).toFixed(0);
console.log(`\nuring_load nops ${events} (256 per io_uring_enter), recorded with --events; peak RSS bound ${boundMiB} MiB per step`);
console.log('| step | wall s | peak RSS MiB | records | records/s | output MiB | within bound | note |');
console.log('|---|---:|---:|---:|---:|---:|---|---|');
let ok = true;
for (const s of steps) {
  const within = s.rssMiB <= boundMiB;
  ok &&= within;
  console.log(`| ${s.step} | ${s.wallS.toFixed(2)} | ${s.rssMiB.toFixed(0)} | ${s.records} | ${Math.round(s.records / s.wallS)} | ${mib(s.outBytes)} | ${within ? 'yes' : 'NO'} | ${s.note} |`);
}
if (!ok) {
  console.error(`a step exceeded the ${boundMiB} MiB bound`);
  process.exit(1);
}
