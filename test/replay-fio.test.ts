// `replay` of real fio recordings (io_uring engine, page-cached file): under
// `user` and `link`, the replay's own --events recording holds exactly the
// recorded requests per opcode (count, length histogram, every offset), the
// recorded fio file is never touched, and no scratch file is left behind.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { buildReplayStream } from '../recording/replay-stream.js';
import { readReplayReq, REPLAY_REQ_SIZE } from '../recording/replay-table.js';
import { kernelGate } from './kernel-gate.js';
import { finalSummary, runCli, scratchDir } from './support.js';
import { isBpfControl, profile, sha256 } from './replay-support.js';

const gate = await kernelGate();
const dir = scratchDir();
const data = join(dir, 'fio-data');
const scratch = scratchDir();

beforeAll(() => {
  writeFileSync(data, randomBytes(4 << 20)); // fio's file, laid out by us: fio only reads/writes it
});

const fio = (extra: string[]) => [
  'fio', '--name=x', '--ioengine=io_uring', `--filename=${data}`, '--size=4M', '--iodepth=8', '--output-format=terse', ...extra,
];

const shapes: [string, string[]][] = [
  ['randread 4k', ['--rw=randread', '--bs=4k']],
  ['randrw mixed block sizes', ['--rw=randrw', '--rwmixread=60', '--bssplit=4k/50:8k/30:16k/20']],
];

describe.each(shapes)('replay of fio %s', (name, extra) => {
  const rec = join(dir, `${name.replace(/\W+/g, '_')}.usrec`);
  let recorded: Awaited<ReturnType<typeof profile>>;
  let before: string;

  beforeAll(async () => {
    const r = await runCli(['record', '-o', rec, '--events', '--json', '--', ...fio(extra)]);
    expect(r.code).toBe(0);
    expect(finalSummary(r.stdout).drops).toBe(0);
    recorded = await profile(rec);
    before = sha256(data);
  });

  test('the recording holds what fio did', () => {
    const ops = Object.keys(recorded).sort();
    expect(ops).toEqual(name.startsWith('randrw') ? ['READ', 'WRITE'] : ['READ']);
    if (name.startsWith('randrw')) {
      expect(recorded.READ.lens.length).toBeGreaterThan(1); // several block sizes, or the test proves little
      expect(recorded.WRITE.count).toBeGreaterThan(0);
    }
  });

  test.each(['user', 'link'])('under %s: same requests per opcode (count, lengths, offsets), fio file untouched', async (strategy) => {
    const out = join(dir, `${name.replace(/\W+/g, '_')}-${strategy}.usrec`);
    const r = await runCli(['replay', rec, '--strategy', strategy, '--json', '-o', out, '--events', '--scratch', scratch]);
    expect(r.stderr).not.toMatch(/Error|at .*\.js/);
    expect(r.code).toBe(0);
    const s = finalSummary(r.stdout);
    expect(s.drops).toBe(0);
    const engine = s.engine as Record<string, any>;
    expect(engine.strategy).toBe(strategy);
    expect(engine.chainsFailed).toBe(0);
    expect(engine.replay.skipped).toEqual({});
    expect(engine.replay.requests).toBe(Object.values(recorded).reduce((n, p) => n + p.count, 0));
    expect(engine.replay.resultsDiffer).toBe(0); // every read and write moved what it moved when recorded
    for (const [op, p] of Object.entries(recorded)) expect(s.requests[op].submitted).toBe(p.count);

    expect(await profile(out)).toEqual(recorded);
    expect(sha256(data)).toBe(before);
    expect(readdirSync(scratch)).toEqual([]);
  });

  gate.test({ strategy: 'bpf' })('under bpf: the replay policy issues the same requests per opcode from the kernel', async () => {
    const out = join(dir, `${name.replace(/\W+/g, '_')}-bpf.usrec`);
    const r = await runCli(['replay', rec, '--strategy', 'bpf', '--json', '-o', out, '--events', '--scratch', scratch]);
    expect(r.code).toBe(0);
    const s = finalSummary(r.stdout);
    expect(s.drops).toBe(0);
    const engine = s.engine as Record<string, any>;
    expect(engine.strategy).toBe('bpf');
    expect(engine.chainsFailed).toBe(0);
    const requests = Object.values(recorded).reduce((n, p) => n + p.count, 0);
    expect(engine.replay.issued).toBe(requests);
    expect(engine.replay.resultsDiffer).toBe(0);
    expect(engine.policy.stats.issued).toBe(requests);
    for (const [op, p] of Object.entries(recorded)) expect(engine.requests[op].submitted).toBe(p.count);
    // What the tracer saw, less the runtime's own kicks and pacing timeouts (tagged), is the recording.
    expect(await profile(out, isBpfControl)).toEqual(recorded);
    expect(sha256(data)).toBe(before);
    expect(readdirSync(scratch)).toEqual([]);
  });

  test('scratch files that cannot fit the scratch directory: refused in one line before anything runs', async () => {
    const small = join(dir, `small-${name.replace(/\W+/g, '_')}`);
    mkdirSync(small);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'uringscope-test', small]);
    try {
      const r = await runCli(['replay', rec, '--scratch', small]);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/scratch files need [\d.]+ MiB but .* has 1\.0 MiB free: use --scratch DIR/);
      expect(r.stdout).toBe('');
      expect(readdirSync(small)).toEqual([]);
    } finally {
      execFileSync('umount', [small]);
    }
  });

  test('chain start times scale with --speed; --speed 0 starts every chain at once', async () => {
    const one = await buildReplayStream(rec, 1);
    const two = await buildReplayStream(rec, 2);
    const zero = await buildReplayStream(rec, 0);
    expect(one.chains).toBe(one.requests); // fio links nothing: one request per chain
    expect(one.recordedConcurrency).toBeGreaterThanOrEqual(1);
    expect(one.recordedConcurrency).toBeLessThanOrEqual(8); // iodepth
    expect(one.concurrency).toBe(one.recordedConcurrency);
    expect(one.targets).toHaveLength(1);
    expect(one.targets[0].size).toBeLessThanOrEqual(4 << 20);
    const n = one.table.length / REPLAY_REQ_SIZE;
    expect(n).toBe(one.requests);
    let last = 0;
    for (let i = 0; i < n; i++) {
      const a = readReplayReq(one.table, i);
      expect(a.startNs).toBeGreaterThanOrEqual(last);
      last = a.startNs;
      expect(Math.abs(readReplayReq(two.table, i).startNs - a.startNs / 2)).toBeLessThanOrEqual(1);
      expect(readReplayReq(zero.table, i).startNs).toBe(0);
    }
    expect(last).toBe(one.recordedSpanNs);
    expect(last).toBeGreaterThan(0);
  });
});
