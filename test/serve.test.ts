// `uringscope serve` against a real Prometheus (Debian's package, started
// here on a free loopback port with a temp config and TSDB): fio's READs
// exactly, the latency histogram's count and p50 bucket against `trace
// --json`, context switches per thread kind, a target exiting / a second
// one starting / serve restarting, a scrape storm at >= 500k requests/s,
// bad input, and the OTLP push to a receiver that is down at first.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { bucketOf } from '../tracers/histogram.js';
import { loadedProgramIds } from './bpf-programs.js';
import { finalSummary, LOAD, namedLoad, runCli, scratchDir, sleep, waitFor, type CliResult } from './support.js';
import { freePort, httpGet, OtlpReceiver, Prometheus, sampleValue, startServe, type ServeProcess } from './serve-support.js';

const dir = scratchDir();
const data = join(dir, 'data');
// fio under a name of its own, so only this file's fio runs match comm="..." (jobs inherit it).
const COMM = `usfio${process.pid % 100000}`;
const FIO = join(dir, COMM);

let servePort = 0;
let serve: ServeProcess;
let prom: Prometheus;
const children: ChildProcess[] = [];

function fioArgs(out: string): string[] {
  return [
    '--name=s', '--ioengine=io_uring', '--rw=randread', '--bs=4k', '--iodepth=4', `--filename=${data}`,
    '--size=16M', '--number_ios=3000', '--invalidate=0', '--output-format=json', `--output=${out}`,
  ];
}

function fioTotalIos(out: string): number {
  const j = JSON.parse(readFileSync(out, 'utf8')) as { jobs: { read: { total_ios: number } }[] };
  return j.jobs.reduce((a, x) => a + x.read.total_ios, 0);
}

function startLoop(args: string[] = []): Promise<{ p: ChildProcess; stderr: () => string }> {
  const p = spawn(LOAD, ['loop', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(p);
  let err = '';
  p.stderr!.on('data', (d) => (err += d));
  return new Promise((res, rej) => {
    p.stdout!.once('data', () => res({ p, stderr: () => err }));
    p.once('error', rej);
  });
}

/** Stops a `uring_load loop`; resolves to the NOPs it completed (2 per chain). */
async function stopLoop(l: { p: ChildProcess; stderr: () => string }): Promise<number> {
  const gone = new Promise((r) => l.p.once('exit', r));
  l.p.kill('SIGTERM');
  await gone;
  const m = /chains=(\d+)/.exec(l.stderr());
  if (!m) throw new Error(`no chain count: ${l.stderr()}`);
  return 2 * Number(m[1]);
}

/** BPF program ids a process holds (its prog and link fds), from /proc/PID/fdinfo. */
function heldProgramIds(pid: number): number[] {
  const ids = new Set<number>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let link = '';
    try {
      link = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue;
    }
    if (!/bpf-prog|bpf_link/.test(link)) continue;
    const m = /prog_id:\s*(\d+)/.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
    if (m) ids.add(Number(m[1]));
  }
  return [...ids];
}

/** SIGTERM: exit 0, says it detached, and none of the programs it held is left. */
async function stopServe(s: ServeProcess): Promise<void> {
  const held = heldProgramIds(s.child.pid!);
  expect(held.length).toBeGreaterThan(0);
  s.child.kill('SIGTERM');
  const r = await s.done;
  expect(r.code).toBe(0);
  expect(r.stderr).toMatch(/SIGTERM: stopped, tracer detached/);
  await waitFor(() => {
    const now = loadedProgramIds();
    return held.every((id) => !now.has(id));
  }, 'the programs serve held to be gone', 5000);
}

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime (fields 14, 15)
}

function expectOneLine(r: CliResult, re: RegExp): void {
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(re);
}

beforeAll(async () => {
  writeFileSync(data, Buffer.alloc(16 << 20, 3)); // page cached
  symlinkSync('/usr/bin/fio', FIO);
  servePort = await freePort();
  serve = await startServe(['--all', '--listen', `127.0.0.1:${servePort}`]);
  prom = await Prometheus.start(dir, `127.0.0.1:${servePort}`);
  await prom.waitFor('up{job="uringscope"}', (v) => v === 1, 'Prometheus to scrape serve');
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  if (serve && serve.child.exitCode === null) {
    serve.child.kill('SIGTERM');
    await serve.done;
  }
  await prom?.stop();
});

describe('serve, scraped by a real Prometheus', () => {
  test('fio READs: completed = submitted = histogram count = fio total_ios; p50 bucket within one of trace --json', async () => {
    // One fio run seen by both: serve (--all) and a `trace --json` of it. Two
    // runs would differ by more than the tracers do (and a run traced twice
    // pays both tracers' programs, which shows at ~1 µs per page-cache read).
    const out = join(dir, 'fio.json');
    const t = await runCli(['trace', '--json', '--', FIO, ...fioArgs(out)]);
    expect(t.code).toBe(0);
    const total = fioTotalIos(out);
    expect(total).toBe(3000);
    const sel = `op="READ",comm="${COMM}"`;
    // The job process exits, is reported once more, then dropped: last_over_time reads its last sample.
    await prom.waitFor(`sum(last_over_time(uringscope_requests_completed_total{${sel}}[5m]))`, (v) => v === total, 'READ completions');
    expect(await prom.scalar(`sum(last_over_time(uringscope_requests_submitted_total{${sel}}[5m]))`)).toBe(total);
    expect(await prom.scalar(`sum(last_over_time(uringscope_requests_errors_total{${sel}}[5m]))`)).toBe(0);
    expect(await prom.scalar(`sum(last_over_time(uringscope_request_latency_seconds_count{${sel}}[5m]))`)).toBe(total);

    // The p50 bucket, from the raw le buckets: the first whose cumulative count reaches half.
    const buckets = (await prom.query(`sum by (le) (last_over_time(uringscope_request_latency_seconds_bucket{${sel}}[5m]))`))
      .map((r) => ({ le: r.metric.le === '+Inf' ? Infinity : Number(r.metric.le), n: Number(r.value![1]) }))
      .sort((a, b) => a.le - b.le);
    expect(buckets.length).toBe(160); // every kernel bucket edge, and +Inf
    const p50le = buckets.find((b) => b.n >= Math.ceil(total / 2))!.le;
    const promBucket = bucketOf(Math.round(p50le * 1e9));

    const traceP50 = finalSummary(t.stdout).requests.READ.latencyNs.p50;
    process.stderr.write(`serve p50: Prometheus le=${p50le} (kernel bucket ${promBucket}), trace --json ${traceP50} ns (bucket ${bucketOf(traceP50)})\n`);
    expect(Math.abs(promBucket - bucketOf(traceP50))).toBeLessThanOrEqual(1);
  });

  test('a target exits, a second starts, serve restarts: context switches per thread kind, exact final counts, resets seen', async () => {
    const a = await startLoop(['--sqpoll']);
    const A = `pid="${a.p.pid}"`;
    await prom.waitFor(`uringscope_requests_completed_total{op="NOP",${A}}`, (v) => (v ?? 0) > 0, 'target A in Prometheus');
    await sleep(1500);
    // Every thread kind has its series; the app thread and the SQPOLL thread have switched.
    const sw = await prom.query(`sum by (thread) (uringscope_context_switches_total{${A}})`);
    expect(sw.map((r) => r.metric.thread).sort()).toEqual(['app', 'iowq', 'sqpoll']);
    const byThread = Object.fromEntries(sw.map((r) => [r.metric.thread, Number(r.value![1])]));
    expect(byThread.app).toBeGreaterThan(0);
    expect(byThread.sqpoll).toBeGreaterThan(0);
    expect((await prom.query(`uringscope_context_switches_total{${A},thread="app",kind="voluntary"}`)).length).toBe(1);
    expect((await prom.query(`uringscope_offcpu_seconds_total{${A}}`)).length).toBe(3);
    expect(await prom.scalar(`uringscope_targets`)).toBeGreaterThanOrEqual(1);

    // A exits: its last scrape has its exact final count, then its series go stale.
    const nopsA = await stopLoop(a);
    await prom.waitFor(`last_over_time(uringscope_requests_completed_total{op="NOP",${A}}[5m])`, (v) => v === nopsA, 'A\'s final count');
    await prom.waitFor(`count(uringscope_requests_completed_total{${A}})`, (v) => v === undefined, 'A to be dropped');

    // B starts and shows up.
    const b = await startLoop();
    const B = `op="NOP",pid="${b.p.pid}"`;
    await prom.waitFor(`uringscope_requests_completed_total{${B}}`, (v) => (v ?? 0) > 0, 'target B in Prometheus');

    // serve restarts on the same port: detached cleanly, B's counter starts again from 0.
    await sleep(1200);
    const before = (await prom.scalar(`uringscope_requests_completed_total{${B}}`))!;
    await stopServe(serve);
    serve = await startServe(['--all', '--listen', `127.0.0.1:${servePort}`]);
    await prom.waitFor(`resets(uringscope_requests_completed_total{${B}}[5m])`, (v) => (v ?? 0) >= 1, 'the reset of B\'s counter');
    await prom.waitFor(`uringscope_requests_completed_total{${B}}`, (v) => (v ?? 0) > 0, 'B counted again');
    // increase() sees through the reset: it counts what was counted before it too (from the
    // first sample on, which is not 0: B ran a moment before Prometheus first scraped it).
    const raw = await prom.query(`uringscope_requests_completed_total{${B}}[5m]`);
    const first = Number(raw[0].values![0][1]);
    expect(before - first).toBeGreaterThan(0);
    expect(await prom.scalar(`increase(uringscope_requests_completed_total{${B}}[5m])`)).toBeGreaterThan(before - first);
    await stopLoop(b);
  });

  test('50 scrapes/s for 10 s while tracing >= 500k requests/s: counts exact; serve CPU measured', async () => {
    const N = 4_000_000;
    const ticks0 = cpuTicks(serve.child.pid!);
    const t0 = Date.now();
    const seen = new Map<number, { completed: number; submitted: number }>();
    let scrapes = 0;
    let failed = 0;
    let loadDone = false;
    const runs: { pid: number; completed: number; elapsedNs: number }[] = [];
    const scraper = (async () => {
      let next = Date.now();
      while (Date.now() - t0 < 10_000 || !loadDone) {
        const r = await httpGet(servePort, '/metrics');
        scrapes++;
        if (r.status !== 200) failed++;
        for (const pid of runs.map((x) => x.pid)) {
          const c = sampleValue(r.body, 'uringscope_requests_completed_total', { op: 'NOP', pid: String(pid) });
          const s = sampleValue(r.body, 'uringscope_requests_submitted_total', { op: 'NOP', pid: String(pid) });
          const cur = seen.get(pid) ?? { completed: 0, submitted: 0 };
          seen.set(pid, { completed: Math.max(cur.completed, c ?? 0), submitted: Math.max(cur.submitted, s ?? 0) });
        }
        next += 20;
        await sleep(Math.max(0, next - Date.now()));
      }
    })();
    // NOP generators back to back until 10 s of scraping are covered.
    while (Date.now() - t0 < 10_000) {
      const p = spawn(LOAD, ['nops', String(N)], { stdio: ['ignore', 'pipe', 'ignore'] });
      children.push(p);
      runs.push({ pid: p.pid!, completed: 0, elapsedNs: 0 });
      let out = '';
      p.stdout!.on('data', (d) => (out += d));
      await new Promise((r) => p.once('exit', r));
      const m = /completed=(\d+) .*elapsed_ns=(\d+)/.exec(out)!;
      runs[runs.length - 1].completed = Number(m[1]);
      runs[runs.length - 1].elapsedNs = Number(m[2]);
    }
    await sleep(600); // the scrape after the last exit carries its final counts
    loadDone = true;
    await scraper;
    const seconds = (Date.now() - t0) / 1000;
    const cpu = (cpuTicks(serve.child.pid!) - ticks0) / 100 / seconds;
    const rate = runs.reduce((a, r) => a + r.completed, 0) / (runs.reduce((a, r) => a + r.elapsedNs, 0) / 1e9);
    process.stderr.write(
      `serve scrape storm: ${scrapes} scrapes in ${seconds.toFixed(1)} s (${(scrapes / seconds).toFixed(0)}/s), ` +
        `${runs.length} x ${N} NOPs at ${Math.round(rate)} requests/s, serve CPU ${(cpu * 100).toFixed(1)}% of a core\n`,
    );
    expect(failed).toBe(0);
    expect(scrapes / seconds).toBeGreaterThanOrEqual(45);
    expect(rate).toBeGreaterThanOrEqual(500_000);
    for (const r of runs) {
      expect(r.completed).toBe(N);
      expect(seen.get(r.pid)).toEqual({ completed: N, submitted: N });
    }
  });

  test('/healthz is 200; /metrics speaks the text format and OpenMetrics', async () => {
    expect((await httpGet(servePort, '/healthz')).status).toBe(200);
    const text = await httpGet(servePort, '/metrics');
    expect(text.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(text.body).toMatch(/^# TYPE uringscope_requests_completed_total counter$/m);
    expect(text.body).not.toMatch(/# EOF/);
    const om = await httpGet(servePort, '/metrics', { Accept: 'application/openmetrics-text; version=1.0.0' });
    expect(om.contentType).toMatch(/^application\/openmetrics-text/);
    expect(om.body).toMatch(/^# TYPE uringscope_requests_completed counter$/m);
    expect(om.body.trimEnd().endsWith('# EOF')).toBe(true);
    expect((await httpGet(servePort, '/nope')).status).toBe(404);
  });
});

describe('serve --max-targets', () => {
  test('processes beyond it get no series and are counted in uringscope_targets_dropped_total', async () => {
    // A name of its own, so no other process on the machine competes for the one slot.
    const { bin, comm } = namedLoad('usld', dir);
    const port = await freePort();
    const s = await startServe(['--comm', comm, '--max-targets', '1', '--listen', `127.0.0.1:${port}`]);
    const loops: ChildProcess[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const p = spawn(bin, ['loop'], { stdio: ['ignore', 'pipe', 'ignore'] });
        children.push(p);
        loops.push(p);
        await new Promise((r) => p.stdout!.once('data', r));
      }
      let body = '';
      const end = Date.now() + 10000;
      do {
        body = (await httpGet(port, '/metrics')).body;
        if (/^uringscope_targets_dropped_total 2$/m.test(body)) break;
        await sleep(100);
      } while (Date.now() < end);
      expect(body).toMatch(/^uringscope_targets 1$/m);
      expect(body).toMatch(/^uringscope_targets_dropped_total 2$/m);
      const labelled = loops.filter((p) => sampleValue(body, 'uringscope_requests_completed_total', { pid: String(p.pid) }) !== undefined);
      expect(labelled).toHaveLength(1);
      expect(sampleValue(body, 'uringscope_requests_completed_total', { comm, pid: String(labelled[0].pid) })).toBeGreaterThan(0);
    } finally {
      for (const p of loops) p.kill('SIGKILL');
      await stopServe(s);
    }
  });
});

describe('serve: bad input is one line and exit 2', () => {
  test.each([
    ['a --listen that is not ADDR:PORT', ['--all', '--listen', 'localhost'], /--listen "localhost": not ADDR:PORT/],
    ['a --listen port out of range', ['--all', '--listen', '127.0.0.1:70000'], /the port must be 1-65535/],
    ['a bad --otlp URL', ['--all', '--otlp', 'not a url'], /--otlp "not a url" is not a URL/],
    ['an --otlp URL that is not http', ['--all', '--otlp', 'ftp://127.0.0.1/x'], /only http:\/\/ and https:\/\//],
    ['no target', [], /exactly one target/],
  ])('%s', async (_name, args, re) => {
    const r = await runCli(['serve', ...args]);
    expect(r.code).toBe(2);
    expectOneLine(r, re);
  });

  test('an unknown pid', async () => {
    const max = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
    let pid = max - 1;
    while (pid > 1 && readdirSync('/proc').includes(String(pid))) pid--;
    const r = await runCli(['serve', '--pid', String(pid), '--listen', `127.0.0.1:${await freePort()}`]);
    expect(r.code).toBe(2);
    expectOneLine(r, new RegExp(`^uringscope: no process with pid ${pid}`));
  });

  test('a port in use', async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    const port = (busy.address() as { port: number }).port;
    const r = await runCli(['serve', '--all', '--listen', `127.0.0.1:${port}`]);
    busy.close();
    expect(r.code).toBe(2);
    expectOneLine(r, new RegExp(`^uringscope: cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use`));
  });
});

describe('serve --otlp', () => {
  test('credentials in the --otlp URL are never printed: not when it starts, not in a retry line', async () => {
    const secret = 's3cr3t-pw';
    const otlpPort = await freePort(); // nothing listens: every push fails and is logged
    const port = await freePort();
    const s = await startServe(['--all', '--listen', `127.0.0.1:${port}`, '--otlp', `http://pushuser:${secret}@127.0.0.1:${otlpPort}/v1/metrics`, '--interval', '100']);
    try {
      await waitFor(() => (s.stderr().match(/retrying in/g) ?? []).length >= 2, 'two logged retries', 15000);
    } finally {
      await stopServe(s);
    }
    const r = await s.done;
    const url = `http://pushuser:\\*\\*\\*@127\\.0\\.0\\.1:${otlpPort}/v1/metrics`;
    expect(r.stderr).toMatch(new RegExp(`and pushing to ${url} every 100 ms`));
    expect(r.stderr).toMatch(new RegExp(`OTLP push to ${url} failed \\(.*ECONNREFUSED.*\\); retrying in`));
    expect(r.stderr + r.stdout).not.toContain(secret);
  });

  test('an endpoint that is down is retried and logged while /metrics keeps serving; pushes arrive once it is up', async () => {
    const otlpPort = await freePort();
    const port = await freePort();
    const loop = await startLoop();
    const s = await startServe(['--pid', String(loop.p.pid), '--listen', `127.0.0.1:${port}`, '--otlp', `http://127.0.0.1:${otlpPort}`, '--interval', '300']);
    try {
      await waitFor(() => (s.stderr().match(/OTLP push to http:\/\/127\.0\.0\.1:\d+\/v1\/metrics failed \(.*ECONNREFUSED.*\); retrying in/g) ?? []).length >= 2, 'two logged retries', 15000);
      expect((await httpGet(port, '/healthz')).status).toBe(200);
      const m = await httpGet(port, '/metrics');
      expect(m.status).toBe(200);
      expect(sampleValue(m.body, 'uringscope_requests_completed_total', { pid: String(loop.p.pid) })).toBeGreaterThan(0);

      const rx = new OtlpReceiver(otlpPort);
      await rx.start();
      try {
        await waitFor(() => rx.pushes.some((p) => p.names.includes('uringscope.requests.completed')), 'a push with request counts', 20000);
        const push = rx.pushes.find((p) => p.names.includes('uringscope.requests.completed'))!;
        expect(push.path).toBe('/v1/metrics');
        expect(push.contentType).toMatch(/application\/json/);
        for (const n of ['uringscope.request.latency.seconds', 'uringscope.context.switches', 'uringscope.targets']) expect(push.names).toContain(n);
        expect(JSON.stringify(push.body)).toContain(`"stringValue":"${loop.p.pid}"`);
        await waitFor(() => /works again after \d+ failed attempt/.test(s.stderr()), 'the recovery to be logged', 5000);
      } finally {
        await rx.stop();
      }
    } finally {
      await stopServe(s);
      await stopLoop(loop);
    }
  });
});
