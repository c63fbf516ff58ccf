// trace --anatomy: each request's path through io_uring (inline, poll, io-wq,
// block IO, queued), checked against what the workload forces: NOPs complete
// inline, IOSQE_ASYNC reads go to io-wq, a recv on an empty
// socket waits on a poll, O_DIRECT reads of a loop device are block IO. A
// kernel that cannot give the paths says why (summary.absent), and the check
// prints that reason instead.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Check, Checks, Context } from './context.js';
import { expectEq, summaryOf } from './expect.js';

type Paths = Record<'inline' | 'poll' | 'iowq' | 'block' | 'queued', number>;
const NONE: Paths = { inline: 0, poll: 0, iowq: 0, block: 0, queued: 0 };

/** trace --anatomy of fio reading `file`; the READ paths and fio's own count, or why the paths are absent. */
async function fioPaths(ctx: Context, file: string, extra: string[]): Promise<{ paths?: Paths; total: number; absent?: string }> {
  const out = join(ctx.scratch, 'anatomy-fio.json');
  const r = await ctx.uringscope([
    'trace', '--json', '--anatomy', '--', 'fio', '--name=t', '--ioengine=io_uring', '--rw=randread', '--bs=4k', '--iodepth=8',
    `--filename=${file}`, '--size=4M', '--output-format=json', `--output=${out}`, ...extra,
  ]);
  expectEq('exit status', r.code, 0);
  const fio = JSON.parse(readFileSync(out, 'utf8')) as { jobs: { read: { total_ios: number } }[] };
  const total = fio.jobs.reduce((a, j) => a + j.read.total_ios, 0);
  const s = summaryOf(r.stdout);
  return { paths: s.requests.READ?.anatomy?.paths as Paths | undefined, total, absent: s.absent?.paths };
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

/**
 * trace --anatomy of `uring_load MODE...`: all `n` requests of opcode `op` timed, and all
 * on `path`; or why the paths are absent.
 */
async function loadPaths(ctx: Context, mode: string[], n: number, op: string, path: keyof Paths): Promise<string | undefined> {
  const r = await ctx.uringscope(['trace', '--json', '--anatomy', '--', join(ctx.root, 'build/helpers/uring_load'), ...mode]);
  expectEq('exit status', r.code, 0);
  const s = summaryOf(r.stdout);
  if (s.absent?.paths) return `paths absent: ${s.absent.paths}`;
  expectEq(`${op}s timed, ${op} paths, untracked`, [s.requests[op]?.latencyNs.count, s.requests[op]?.anatomy?.paths, s.untracked],
    [n, { ...NONE, [path]: n }, { completions: 0, neverCompleted: 0, evicted: 0, processes: 0, threadEvents: 0 }]);
  return undefined;
}

const inline: Check = {
  // NOPs: the guests' filesystems (9p, overlayfs, tmpfs) refuse IOCB_NOWAIT reads, so
  // io_uring hands even their cached pages to io-wq: the io-wq check shows that path.
  name: 'anatomy: NOPs complete inline',
  // One NOP per io_uring_enter: with hundreds in flight, two can share a timing slot (counted
  // in untracked.evicted, their paths unknown), and this check wants every one.
  run: async (ctx) => (await loadPaths(ctx, ['nops', '1000', '1'], 1000, 'NOP', 'inline')) ?? '1000 of 1000 NOPs inline',
};

const iowq: Check = {
  name: 'anatomy: IOSQE_ASYNC reads go to io-wq',
  async run(ctx) {
    const r = await fioPaths(ctx, pageCacheFile(ctx), ['--force_async=1', '--invalidate=0']);
    if (r.absent) return `paths absent: ${r.absent}`;
    expectEq('READ paths', r.paths, { ...NONE, iowq: r.total });
    return `${r.total} of ${r.total} READs through io-wq`;
  },
};

const poll: Check = {
  name: 'anatomy: a recv on an empty socket waits on a poll',
  run: async (ctx) => (await loadPaths(ctx, ['recvwait', '200'], 200, 'RECV', 'poll')) ?? '200 of 200 RECVs armed a poll',
};

const block: Check = {
  name: 'anatomy: O_DIRECT reads of a loop device are block IO',
  async run(ctx) {
    return withLoop(ctx, async (dev) => {
      const r = await fioPaths(ctx, dev, ['--direct=1']);
      if (r.absent) return `paths absent: ${r.absent}`;
      expectEq('READ paths', r.paths, { ...NONE, block: r.total });
      return `${r.total} of ${r.total} READs queued block IO on ${dev}`;
    });
  },
};

export const anatomyChecks: Checks = () => [inline, iowq, poll, block];
