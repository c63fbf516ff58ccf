// `trace -- fio --ioengine=io_uring ...`: READ completions equal fio's own
// total_ios, for several job shapes (fio forks its jobs: forks are followed).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { finalSummary, runCli, scratchDir } from './support.js';

const dir = scratchDir();
const file = join(dir, 'data');

beforeAll(() => {
  writeFileSync(file, Buffer.alloc(8 << 20, 7)); // 8 MiB, page cached
});

const shapes: [string, string[]][] = [
  ['iodepth 1', ['--iodepth=1']],
  ['iodepth 32', ['--iodepth=32']],
  ['iodepth 8 + SQPOLL', ['--iodepth=8', '--sqthread_poll=1']],
  ['2 jobs, iodepth 16, 16k blocks', ['--iodepth=16', '--numjobs=2', '--bs=16k']],
];

describe('trace -- fio', () => {
  test.each(shapes)('%s: READ completed = fio total_ios', async (name, extra) => {
    const out = join(dir, `fio-${name.replace(/\W+/g, '_')}.json`);
    const r = await runCli([
      'trace', '--json', '--', 'fio', '--name=t', '--ioengine=io_uring', '--rw=randread', '--bs=4k',
      `--filename=${file}`, '--size=8M', '--output-format=json', `--output=${out}`, ...extra,
    ]);
    expect(r.code).toBe(0);
    const fio = JSON.parse(readFileSync(out, 'utf8')) as { jobs: { read: { total_ios: number } }[] };
    const totalIos = fio.jobs.reduce((a, j) => a + j.read.total_ios, 0);
    expect(totalIos).toBeGreaterThan(0);
    const s = finalSummary(r.stdout);
    expect(s.requests.READ.completed).toBe(totalIos);
    expect(s.requests.READ.submitted).toBe(totalIos);
    expect(s.requests.READ.errors).toBe(0);
    expect(s.requests.READ.latencyNs.count).toBe(totalIos);
  });
});
