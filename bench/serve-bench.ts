// npm run bench:serve — what `uringscope serve` costs a real io_uring
// workload. fio 4k random reads (io_uring engine, bench:tracer's job; with
// FIO_INVALIDATE=0 fio keeps the file's page cache, so every read is a
// ~1 µs page-cache hit and the per-request cost shows fully),
// run alternately untraced and with `serve --comm fio` attached and scraped
// (once a second, as a Prometheus would, and 50 times a second), several
// rounds in one run; prints median IOPS per mode, the ratio to untraced, and
// serve's own CPU while fio ran.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../core/package-root.js';

const rounds = Number(process.env.ROUNDS ?? 5);
const seconds = Number(process.env.SECONDS_PER_RUN ?? 3);
const iodepth = Number(process.env.IODEPTH ?? 32);
const invalidate = process.env.FIO_INVALIDATE ?? '1';
const dir = mkdtempSync(join(tmpdir(), 'uringscope-bench-'));
const file = join(dir, 'data');
const cli = join(packageRoot(), 'dist', 'bin', 'uringscope.js');

type Mode = 'untraced' | 'serve, 1 scrape/s' | 'serve, 50 scrapes/s';
const modes: Mode[] = ['untraced', 'serve, 1 scrape/s', 'serve, 50 scrapes/s'];
const scrapeMs: Record<Mode, number> = { untraced: 0, 'serve, 1 scrape/s': 1000, 'serve, 50 scrapes/s': 20 };

function fioArgs(out: string): string[] {
  return [
    '--name=bench', '--ioengine=io_uring', '--rw=randread', '--bs=4k', `--iodepth=${iodepth}`,
    `--filename=${file}`, '--size=256M', `--invalidate=${invalidate}`, '--time_based', `--runtime=${seconds}`, '--ramp_time=0.5',
    '--output-format=json', `--output=${out}`,
  ];
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function scrape(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/metrics', agent: false }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`/metrics: ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

async function startServe(port: number): Promise<ChildProcess> {
  const p = spawn(process.execPath, [cli, 'serve', '--comm', 'fio', '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr!.on('data', (d) => (err += d));
  const end = Date.now() + 30000;
  while (!/serving /.test(err)) {
    if (p.exitCode !== null || Date.now() > end) throw new Error(`serve did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return p;
}

interface Result {
  iops: number;
  /** serve's CPU while fio ran, share of one core. */
  serveCpu?: number;
}

async function runOnce(mode: Mode, i: number): Promise<Result> {
  const out = join(dir, `${i}-${mode.replace(/\W+/g, '_')}.json`);
  let serve: ChildProcess | undefined;
  let port = 0;
  if (mode !== 'untraced') {
    port = await freePort();
    serve = await startServe(port);
  }
  let scraping = !!serve;
  const scraper = (async () => {
    while (scraping) {
      await scrape(port);
      await new Promise((r) => setTimeout(r, scrapeMs[mode]));
    }
  })();
  const t0 = Date.now();
  const c0 = serve ? cpuTicks(serve.pid!) : 0;
  const fio = spawn('fio', fioArgs(out), { stdio: 'ignore' });
  const code = await new Promise<number | null>((r) => fio.once('exit', r));
  if (code !== 0) throw new Error(`fio failed (${code})`);
  const serveCpu = serve ? (cpuTicks(serve.pid!) - c0) / 100 / ((Date.now() - t0) / 1000) : undefined;
  scraping = false;
  await scraper;
  if (serve) {
    const gone = new Promise((r) => serve!.once('exit', r));
    serve.kill('SIGTERM');
    await gone;
  }
  const j = JSON.parse(readFileSync(out, 'utf8')) as { jobs: { read: { iops: number } }[] };
  return { iops: j.jobs[0].read.iops, serveCpu };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

writeFileSync(file, Buffer.alloc(256 << 20, 1));
execFileSync('cat', [file], { stdio: 'ignore', maxBuffer: 512 << 20 }); // page cache it
if (spawnSync('fio', ['--version']).status !== 0) throw new Error('fio is not installed (scripts/install.sh)');
const results: Record<Mode, Result[]> = { untraced: [], 'serve, 1 scrape/s': [], 'serve, 50 scrapes/s': [] };
for (let i = 0; i < rounds; i++) {
  // Rotate the order each round so drift (thermal, page cache, neighbours) hits every mode alike.
  for (let k = 0; k < modes.length; k++) {
    const m = modes[(i + k) % modes.length];
    results[m].push(await runOnce(m, i));
  }
  process.stderr.write(`round ${i + 1}/${rounds}: ${modes.map((m) => `${m} ${Math.round(results[m][i].iops)} IOPS`).join(', ')}\n`);
}
rmSync(dir, { recursive: true, force: true });

const base = median(results.untraced.map((r) => r.iops));
console.log(
  `fio randread 4k, io_uring, iodepth ${iodepth}, invalidate=${invalidate}; ${rounds} rounds x ${seconds}s per mode, alternated; serve --comm fio`,
);
console.log('| mode | median IOPS | min | max | ratio to untraced | serve CPU (share of one core) |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const m of modes) {
  const iops = results[m].map((r) => r.iops);
  const cpu = results[m].map((r) => r.serveCpu).filter((c): c is number => c !== undefined);
  console.log(
    `| ${m} | ${Math.round(median(iops))} | ${Math.round(Math.min(...iops))} | ${Math.round(Math.max(...iops))} | ` +
      `${(median(iops) / base).toFixed(3)} | ${cpu.length ? (median(cpu) * 100).toFixed(1) + '%' : '-'} |`,
  );
}
