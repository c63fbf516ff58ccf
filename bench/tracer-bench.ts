// npm run bench:tracer — what tracing costs a real io_uring workload.
// fio 4k random reads from a page-cached file (io_uring engine), run
// alternately untraced, under `trace` (aggregates only) and under
// `trace --events` (every request streamed), several rounds in one run;
// prints median IOPS per mode and the ratio to untraced.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../core/package-root.js';

const rounds = Number(process.env.ROUNDS ?? 5);
const seconds = Number(process.env.SECONDS_PER_RUN ?? 3);
const iodepth = Number(process.env.IODEPTH ?? 32);
const dir = mkdtempSync(join(tmpdir(), 'uringscope-bench-'));
const file = join(dir, 'data');
const cli = join(packageRoot(), 'dist', 'bin', 'uringscope.js');
const loadHelper = join(packageRoot(), 'build', 'helpers', 'uring_load');

type Mode = 'untraced' | 'aggregate' | 'events';
const modes: Mode[] = ['untraced', 'aggregate', 'events'];

function fioArgs(out: string): string[] {
  return [
    '--name=bench', '--ioengine=io_uring', '--rw=randread', '--bs=4k', `--iodepth=${iodepth}`,
    `--filename=${file}`, '--size=256M', '--time_based', `--runtime=${seconds}`, '--ramp_time=0.5',
    '--output-format=json', `--output=${out}`,
  ];
}

function run(cmd: string[]): string {
  const r = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

function traced(mode: Mode, cmd: string[]): string[] {
  if (mode === 'untraced') return cmd;
  return [process.execPath, cli, 'trace', ...(mode === 'events' ? ['--events'] : []), '--', ...cmd];
}

/** Requests/s of the NOP generator: per-request tracing cost without IO noise. */
function nopRate(mode: Mode): number {
  const n = 5_000_000;
  const out = run(traced(mode, [loadHelper, 'nops', String(n)]));
  const m = /completed=(\d+) .*elapsed_ns=(\d+)/.exec(out);
  if (!m || Number(m[1]) !== n) throw new Error(`nops run did not complete: ${out}`);
  return n / (Number(m[2]) / 1e9);
}

function runOnce(mode: Mode, i: number): number {
  const out = join(dir, `${mode}-${i}.json`);
  const cmd = traced(mode, ['fio', ...fioArgs(out)]);
  run(cmd);
  const j = JSON.parse(readFileSync(out, 'utf8')) as { jobs: { read: { iops: number } }[] };
  return j.jobs[0].read.iops;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

writeFileSync(file, Buffer.alloc(256 << 20, 1));
execFileSync('cat', [file], { stdio: 'ignore', maxBuffer: 512 << 20 }); // page cache it
const iops: Record<Mode, number[]> = { untraced: [], aggregate: [], events: [] };
const nops: Record<Mode, number[]> = { untraced: [], aggregate: [], events: [] };
for (let i = 0; i < rounds; i++) {
  // Rotate the order each round so drift (thermal, page cache) hits every mode alike.
  for (let k = 0; k < modes.length; k++) {
    const m = modes[(i + k) % modes.length];
    iops[m].push(runOnce(m, i));
    nops[m].push(nopRate(m));
  }
  process.stderr.write(`round ${i + 1}/${rounds}: ${modes.map((m) => `${m} ${Math.round(iops[m][i])} IOPS / ${Math.round(nops[m][i])} NOP/s`).join(', ')}\n`);
}
rmSync(dir, { recursive: true, force: true });

const base = median(iops.untraced);
console.log(`fio randread 4k, io_uring, iodepth ${iodepth}, page cache; ${rounds} rounds x ${seconds}s per mode, alternated`);
console.log('| mode | median IOPS | min | max | ratio to untraced |');
console.log('|---|---:|---:|---:|---:|');
for (const m of modes) {
  const med = median(iops[m]);
  console.log(`| ${m} | ${Math.round(med)} | ${Math.round(Math.min(...iops[m]))} | ${Math.round(Math.max(...iops[m]))} | ${(med / base).toFixed(3)} |`);
}

const nbase = median(nops.untraced);
console.log('');
console.log('uring_load nops 5,000,000 (256 per io_uring_enter): per-request tracing cost without IO');
console.log('| mode | median requests/s | ns added per request | ratio to untraced |');
console.log('|---|---:|---:|---:|');
for (const m of modes) {
  const med = median(nops[m]);
  console.log(`| ${m} | ${Math.round(med)} | ${m === 'untraced' ? '-' : (1e9 / med - 1e9 / nbase).toFixed(0)} | ${(med / nbase).toFixed(3)} |`);
}
