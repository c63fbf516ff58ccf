// The tracer's checks: exact counts against what the traced program knows it
// did (the chain helper's own numbers, fio's total_ios), from `trace` and
// from serve's /metrics.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Check, Checks } from './context.js';
import { expectEq, firstLine, summaryOf } from './expect.js';

const CHAINS = 1000;

const chains: Check = {
  name: `chains: ${CHAINS} linked read->nop->nop`,
  async run({ root, uringscope }) {
    const load = join(root, 'build/helpers/uring_load');
    const r = await uringscope(['trace', '--json', '--', load, 'chains', String(CHAINS)]);
    expectEq('exit status', r.code, 0);
    const s = summaryOf(r.stdout);
    expectEq('READ submitted/completed', [s.requests.READ?.submitted, s.requests.READ?.completed], [CHAINS, CHAINS]);
    expectEq('NOP submitted/completed/cancelled', [s.requests.NOP?.submitted, s.requests.NOP?.completed, s.requests.NOP?.cancelled], [2 * CHAINS, 2 * CHAINS, 2 * CHAINS]);
    expectEq('fail_link', s.failLinks, 2 * CHAINS);
    expectEq('latency samples', s.requests.READ?.latencyNs.count, CHAINS);
    return `${CHAINS} READ, ${2 * CHAINS} NOP, ${2 * CHAINS} cancelled, ${2 * CHAINS} fail_link`;
  },
};

const fio: Check = {
  name: 'fio: READ completed = total_ios',
  async run({ scratch, uringscope }) {
    const data = join(scratch, 'fio.data');
    writeFileSync(data, Buffer.alloc(4 << 20, 7));
    const out = join(scratch, 'fio.json');
    const r = await uringscope([
      'trace', '--json', '--', 'fio', '--name=t', '--ioengine=io_uring', '--rw=randread', '--bs=4k', '--iodepth=8',
      `--filename=${data}`, '--size=4M', '--output-format=json', `--output=${out}`,
    ]);
    expectEq('exit status', r.code, 0);
    const fio = JSON.parse(readFileSync(out, 'utf8')) as { jobs: { read: { total_ios: number } }[] };
    const total = fio.jobs.reduce((a, j) => a + j.read.total_ios, 0);
    const s = summaryOf(r.stdout);
    expectEq('READ completed', s.requests.READ?.completed, total);
    expectEq('READ submitted', s.requests.READ?.submitted, total);
    return `${total} reads`;
  },
};

const serveFio: Check = {
  name: 'serve: /metrics while fio runs: READ completed = total_ios',
  async run({ root, cli, scratch }) {
    const port = 19464;
    const serve = spawn(process.execPath, [cli, 'serve', '--comm', 'fio', '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'], cwd: root });
    let err = '';
    serve.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number>((res) => serve.on('exit', (code, sig) => res(code ?? (sig ? 128 : 1))));
    try {
      const get = async (path: string) => {
        const r = await fetch(`http://127.0.0.1:${port}${path}`);
        return { status: r.status, body: await r.text() };
      };
      for (const t0 = Date.now(); ; ) {
        // /healthz answers from the start; /metrics only once the tracer is attached (503 before).
        const up = await get('/metrics').then((r) => r.status === 200, () => false);
        if (up) break;
        if (Date.now() - t0 > 60_000) throw new Error(`serve not up after 60 s: ${firstLine(err)}`);
        await new Promise((res) => setTimeout(res, 300));
      }
      const data = join(scratch, 'serve-fio.dat');
      const out = join(scratch, 'serve-fio.json');
      execFileSync('fio', ['--name=s', '--ioengine=io_uring', '--rw=randread', '--bs=4k', '--iodepth=8', `--filename=${data}`,
        '--size=4M', '--number_ios=1500', '--output-format=json', `--output=${out}`], { stdio: 'ignore' });
      const fio = JSON.parse(readFileSync(out, 'utf8')) as { jobs: { read: { total_ios: number } }[] };
      const total = fio.jobs.reduce((a, j) => a + j.read.total_ios, 0);
      // A target that exited is kept until it has been scraped: the first scrape has it.
      const body = (await get('/metrics')).body;
      const reads = body.split('\n').filter((l) => l.startsWith('uringscope_requests_completed_total{') && l.includes('op="READ"'));
      const got = reads.reduce((a, l) => a + Number(l.split(' ').pop()), 0);
      expectEq('READ completed in /metrics', got, total);
      serve.kill('SIGTERM');
      expectEq('serve exit status after SIGTERM', await exited, 0);
      return `${total} reads`;
    } finally {
      serve.kill('SIGKILL');
    }
  },
};

export const tracerChecks: Checks = () => [chains, fio, serveFio];
