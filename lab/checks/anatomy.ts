// trace --anatomy: each request's path through io_uring (inline, poll, io-wq,
// block IO, queued) and where its latency went (the phases), checked against
// what the workload forces: NOPs complete inline, IOSQE_ASYNC reads go to
// io-wq and wait for a worker, a recv on an empty socket waits on a poll for
// as long as its peer waits to write, O_DIRECT reads of a loop device are
// block IO whose device phases the device's own statistics count. On every
// run the phases add up to the latencies, to the nanosecond. A kernel that
// cannot give the paths or the phases says why (summary.absent), and the
// check prints that reason instead.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { PhaseName } from '../../native/index.js';
import type { PhaseSummary, Summary } from '../../tracers/summary.js';
import type { Check, Checks, Context } from './context.js';
import { expectEq, summaryOf } from './expect.js';

type Paths = Record<'inline' | 'poll' | 'iowq' | 'block' | 'queued', number>;
const NONE: Paths = { inline: 0, poll: 0, iowq: 0, block: 0, queued: 0 };
type Phases = Record<PhaseName, PhaseSummary>;

/**
 * The phases of `op`'s requests: every timed request followed, and the
 * phases' sums adding up to the latencies' sum exactly; or why they are absent.
 */
function phasesOf(s: Summary, op: string): { phases?: Phases; absent?: string } {
  if (s.absent?.phases) return { absent: s.absent.phases };
  const r = s.requests[op];
  const a = r?.anatomy;
  if (!a?.phases || !a.timed) throw new Error(`${op}: no phases in the summary`);
  expectEq(`${op} requests with phases`, a.timed.requests, r.latencyNs.count);
  const sum = Object.values(a.phases).reduce((t, p) => t + p.sumNs, 0);
  expectEq(`${op} phases' sum against their latencies' sum (ns)`, sum, a.timed.ns);
  return { phases: a.phases };
}

/** The phases some of `op`'s requests spent time in, by name. */
function spent(p: Phases): PhaseName[] {
  return (Object.keys(p) as PhaseName[]).filter((k) => p[k].count > 0);
}

function phasesNote(p: { absent?: string }, what: string): string {
  return p.absent ? `; phases absent: ${p.absent}` : `; ${what}, phases add up to the latencies`;
}

/** trace --anatomy of fio reading `file`: its summary and fio's own count of reads. */
async function fioTrace(ctx: Context, file: string, extra: string[]): Promise<{ s: Summary; total: number }> {
  const out = join(ctx.scratch, 'anatomy-fio.json');
  const r = await ctx.uringscope([
    'trace', '--json', '--anatomy', '--', 'fio', '--name=t', '--ioengine=io_uring', '--rw=randread', '--bs=4k', '--iodepth=8',
    `--filename=${file}`, '--size=4M', '--output-format=json', `--output=${out}`, ...extra,
  ]);
  expectEq('exit status', r.code, 0);
  const fio = JSON.parse(readFileSync(out, 'utf8')) as { jobs: { read: { total_ios: number } }[] };
  return { s: summaryOf(r.stdout), total: fio.jobs.reduce((a, j) => a + j.read.total_ios, 0) };
}

function pageCacheFile(ctx: Context): string {
  const data = join(ctx.scratch, 'anatomy.data');
  writeFileSync(data, Buffer.alloc(4 << 20, 7)); // written, so every page is cached
  return data;
}

/** A loop device over a 4 MiB file for `fn`, detached after. */
async function withLoop<T>(ctx: Context, fn: (dev: string) => Promise<T>): Promise<T> {
  const dev = execFileSync('losetup', ['--find', '--show', pageCacheFile(ctx)], { encoding: 'utf8' }).trim();
  try {
    return await fn(dev);
  } finally {
    execFileSync('losetup', ['--detach', dev]);
  }
}

/** The device's own count of completed and merged reads (/sys/block/DEV/stat, Documentation/block/stat.rst). */
function deviceReads(dev: string): { completed: number; merged: number } {
  const f = readFileSync(`/sys/block/${basename(dev)}/stat`, 'utf8').trim().split(/\s+/).map(Number);
  return { completed: f[0], merged: f[1] };
}

/**
 * trace --anatomy of `uring_load MODE...`: all `n` requests of opcode `op`
 * timed, and all on `path`; its summary, or why the paths are absent.
 */
async function loadTrace(ctx: Context, mode: string[], n: number, op: string, path: keyof Paths): Promise<{ s: Summary; absent?: string }> {
  const r = await ctx.uringscope(['trace', '--json', '--anatomy', '--', join(ctx.root, 'build/helpers/uring_load'), ...mode]);
  expectEq('exit status', r.code, 0);
  const s = summaryOf(r.stdout);
  if (s.absent?.paths) return { s, absent: `paths absent: ${s.absent.paths}` };
  expectEq(`${op}s timed, ${op} paths, untracked`, [s.requests[op]?.latencyNs.count, s.requests[op]?.anatomy?.paths, s.untracked],
    [n, { ...NONE, [path]: n }, { completions: 0, neverCompleted: 0, evicted: 0, processes: 0, threadEvents: 0 }]);
  return { s };
}

const inline: Check = {
  // NOPs: the guests' filesystems (9p, overlayfs, tmpfs) refuse IOCB_NOWAIT reads, so
  // io_uring hands even their cached pages to io-wq: the io-wq check shows that path.
  name: 'anatomy: NOPs complete inline, their time in issue and complete',
  async run(ctx) {
    // One NOP per io_uring_enter: with hundreds in flight, two can share a timing slot (counted
    // in untracked.evicted, their paths unknown), and this check wants every one.
    const { s, absent } = await loadTrace(ctx, ['nops', '1000', '1'], 1000, 'NOP', 'inline');
    if (absent) return absent;
    const p = phasesOf(s, 'NOP');
    if (p.phases) expectEq('NOP phases spent', spent(p.phases).filter((k) => k !== 'issue' && k !== 'complete'), []);
    return `1000 of 1000 NOPs inline${phasesNote(p, 'only issue and complete')}`;
  },
};

const iowq: Check = {
  name: 'anatomy: IOSQE_ASYNC reads go to io-wq, wait for a worker, then run there',
  async run(ctx) {
    const { s, total } = await fioTrace(ctx, pageCacheFile(ctx), ['--force_async=1', '--invalidate=0']);
    if (s.absent?.paths) return `paths absent: ${s.absent.paths}`;
    expectEq('READ paths', s.requests.READ?.anatomy?.paths, { ...NONE, iowq: total });
    const p = phasesOf(s, 'READ');
    if (p.phases) {
      const ph = p.phases;
      expectEq('READs with io-wq wait and run phases, and device phases', [ph.iowqWait.count, ph.iowqRun.count, ph.device.count], [total, total, 0]);
    }
    return `${total} of ${total} READs through io-wq${phasesNote(p, 'each waited for a worker and ran there, none at a device')}`;
  },
};

/** How long the peer waits before it writes: the recv's poll wait. */
const RECV_DELAY_US = 2000;

const poll: Check = {
  name: 'anatomy: a recv on an empty socket waits on a poll until its peer writes',
  async run(ctx) {
    const { s, absent } = await loadTrace(ctx, ['recvwait', '200', String(RECV_DELAY_US)], 200, 'RECV', 'poll');
    if (absent) return absent;
    const p = phasesOf(s, 'RECV');
    if (p.phases) {
      const w = p.phases.pollWait;
      expectEq('RECVs with a poll wait', w.count, 200);
      // The poll is armed before the peer's sleep starts and woken by its write: never
      // shorter than the sleep, but for the histogram's bucket width (25%).
      if (w.p50 < 0.75 * RECV_DELAY_US * 1000) throw new Error(`poll wait p50 ${w.p50} ns, below the peer's ${RECV_DELAY_US} µs sleep`);
    }
    return `200 of 200 RECVs armed a poll${phasesNote(p, `poll wait p50 ${p.phases ? Math.round(p.phases.pollWait.p50 / 1000) : 0} µs for a ${RECV_DELAY_US} µs sleep`)}`;
  },
};

const block: Check = {
  name: 'anatomy: O_DIRECT reads of a loop device are block IO, their device phases the device\'s reads',
  async run(ctx) {
    return withLoop(ctx, async (dev) => {
      const before = deviceReads(dev);
      const { s, total } = await fioTrace(ctx, dev, ['--direct=1']);
      const after = deviceReads(dev);
      if (s.absent?.paths) return `paths absent: ${s.absent.paths}`;
      expectEq('READ paths', s.requests.READ?.anatomy?.paths, { ...NONE, block: total });
      const p = phasesOf(s, 'READ');
      const reads = after.completed - before.completed;
      if (p.phases) {
        // A read merged into another's block request has no device phase of its own: the
        // device's completed reads are the block requests, its merged reads the rest.
        expectEq('READs with a device phase, and all READs, against the device\'s reads (completed, + merged)',
          [p.phases.device.count, total], [reads, reads + after.merged - before.merged]);
      }
      return `${total} of ${total} READs queued block IO on ${dev}${phasesNote(p, `${reads} with a device phase = ${dev}'s completed reads`)}`;
    });
  },
};

const WAIT_ROUNDS = 20;

const waits: Check = {
  name: 'anatomy: io_uring_enter waits, what ended each, and the reap after a CQE',
  async run(ctx) {
    // Rounds of three waits of 2 ms: ended by a timeout request's CQE, by -ETIME, by SIGALRM.
    const r = await ctx.uringscope(['trace', '--json', '--anatomy', '--', join(ctx.root, 'build/helpers/uring_load'), 'waits', String(WAIT_ROUNDS), '2000']);
    expectEq('exit status', r.code, 0);
    const s = summaryOf(r.stdout);
    if (s.absent?.waits) return `waits absent: ${s.absent.waits}`;
    const n = WAIT_ROUNDS;
    expectEq('waits and what ended them', [s.waits?.count, s.waits?.ended], [3 * n, { events: n, timeout: n, signal: n, error: 0 }]);
    expectEq('waits ended by a CQE with a reap', s.reap?.count, n);
    return `${3 * n} waits (${n} CQE, ${n} -ETIME, ${n} signal), ${Math.round((s.waits?.offCpuNs ?? 0) / 1e6)} ms off-CPU; reap p50 ${Math.round((s.reap?.p50 ?? 0) / 1000)} µs`;
  },
};

export const anatomyChecks: Checks = () => [inline, iowq, poll, block, waits];
