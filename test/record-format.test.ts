// The recording format on its own (no BPF): a file written by the writer
// reads back whole; cut at every chunk boundary and at random offsets it
// still reads up to the cut and says what was lost; garbage, an empty file,
// a newer version and a damaged header are refused with one line.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RecordingWriter } from '../recording/writer.js';
import { scanRecording } from '../recording/scan.js';
import { CHUNK_OVERHEAD, ChunkType, EVENT_LAYOUT, FILE_HEADER_SIZE, FORMAT_VERSION, type RecordingHeader } from '../recording/format.js';
import type { Summary } from '../tracers/summary.js';
import { runCli, scratchDir, type CliResult } from './support.js';

const dir = scratchDir();

function header(): RecordingHeader {
  return {
    format: 'uringscope-recording', formatVersion: FORMAT_VERSION,
    tool: { name: 'uringscope', version: 'test', node: process.version }, createdAt: new Date(0).toISOString(),
    startKtimeNs: 1_000_000, kernel: { release: '6.18', version: '#1', arch: 'x64' }, cpu: { model: 'test', count: 2 },
    commandLine: ['record', '-o', 'x'], mode: 'trace', config: {}, events: true, eventLayout: EVENT_LAYOUT,
    opNames: ['NOP', 'READV', 'WRITEV'], histBuckets: 160, histSubBits: 2,
  };
}

function summary(type: 'interval' | 'summary', n: number): Summary {
  const z = { voluntary: 0, involuntary: 0, offCpuNs: 0, onCpuNs: 0 };
  return {
    type, durationNs: 1e9,
    requests: { NOP: { submitted: n, completed: n, errors: 0, cancelled: 1, latencyNs: { count: n, p50: 100, p90: 200, p99: 300, max: 400 } } },
    failLinks: 0, reqFailed: 0, cqOverflows: 0, asyncPunts: 0, pollArms: 0, taskWork: { adds: 0, runs: 0, localRuns: 0 },
    enter: { calls: n, toSubmit: n, timeNs: 0 }, ctxSwitches: { ...z, voluntary: 3, byThread: { app: { ...z, voluntary: 3 }, sqpoll: z, iowq: z } },
    drops: 0, untracked: { completions: 0, neverCompleted: 0, evicted: 0 }, events: { received: n, written: n },
  };
}

function batch(n: number, seq: number): ArrayBuffer {
  const b = new ArrayBuffer(n * 80);
  const v = new DataView(b);
  for (let i = 0; i < n; i++) {
    const o = i * 80;
    v.setBigUint64(o, BigInt(2_000_000 + seq * 1000 + i), true);
    v.setBigUint64(o + 8, BigInt(2_000_500 + seq * 1000 + i), true);
    v.setBigUint64(o + 32, BigInt(seq * 1000 + i), true);
    v.setUint32(o + 48, 42, true);
    v.setUint32(o + 52, 43, true);
    v.setInt32(o + 64, i % 7 === 0 ? -125 : 0, true);
  }
  return b;
}

/** A complete recording: 3 intervals with 250 events each in between, and an end chunk. */
async function writeSample(path: string): Promise<number> {
  const w = await RecordingWriter.create(path, header(), { syncIntervals: false });
  let events = 0;
  for (let k = 0; k < 3; k++) {
    w.events(batch(250, k));
    events += 250;
    w.interval({ ktimeNs: 3_000_000 + k, summary: summary('interval', 250) });
  }
  w.end({ ktimeNs: 4_000_000, reason: 'command-exit', exitCode: 0, summary: summary('summary', 750) });
  await w.close();
  return events;
}

/** Offsets where chunks start, and the file size (the last boundary). */
function boundaries(buf: Buffer): number[] {
  const out = [FILE_HEADER_SIZE];
  let o = FILE_HEADER_SIZE;
  while (o < buf.length) {
    o += buf.readUInt32LE(o + 4) + CHUNK_OVERHEAD;
    out.push(o);
  }
  return out;
}

function expectOneLine(r: CliResult, re: RegExp): void {
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(re);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('recording format', () => {
  const path = join(dir, 'sample.usrec');
  let bytes: Buffer;
  let total: number;

  beforeAll(async () => {
    total = await writeSample(path);
    bytes = readFileSync(path);
  });

  test('reads back whole: header, intervals, events, end', async () => {
    let seen = 0;
    let firstUserData = -1n;
    const s = await scanRecording(path, {
      events: (b) => {
        if (firstUserData < 0n) firstUserData = b.at(0).userData;
        seen += b.count;
      },
    });
    expect(s.damage).toBeUndefined();
    expect(s.end?.reason).toBe('command-exit');
    expect(s.summarySource).toBe('end');
    expect(s.summary).toEqual(summary('summary', 750));
    expect(s.intervals).toHaveLength(3);
    expect(s.events).toBe(total);
    expect(seen).toBe(total);
    expect(firstUserData).toBe(0n);
    expect(s.header.opNames).toEqual(['NOP', 'READV', 'WRITEV']);
    expect(bytes.subarray(0, 5).toString()).toBe('USREC');
  });

  test('cut at every chunk boundary: reads up to the cut, reports the missing end', async () => {
    const bs = boundaries(bytes);
    expect(bs.at(-1)).toBe(bytes.length);
    const cutPath = join(dir, 'cut.usrec');
    // The first boundary after the header chunk is the smallest readable file.
    for (const cut of bs.slice(1, -1)) {
      writeFileSync(cutPath, bytes.subarray(0, cut));
      const s = await scanRecording(cutPath);
      expect(s.damage).toBeUndefined();
      expect(s.end).toBeUndefined();
      expect(s.goodBytes).toBe(cut);
      // events read = whole events chunks before the cut
      const evChunks = bs.filter((b, i) => b < cut && bytes.readUInt32LE(b) === ChunkType.EVENTS && bs[i + 1] <= cut).length;
      expect(s.events).toBe(evChunks * 250);
      expect(s.summarySource).toBe('intervals');
    }
  });

  test('cut at random byte offsets: reads up to the last whole chunk, says how much was lost', async () => {
    const bs = boundaries(bytes);
    const cutPath = join(dir, 'rand.usrec');
    let seed = 12345;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let k = 0; k < 200; k++) {
      const cut = bs[1] + 1 + Math.floor(rnd() * (bytes.length - bs[1] - 1));
      writeFileSync(cutPath, bytes.subarray(0, cut));
      const s = await scanRecording(cutPath);
      const lastWhole = Math.max(...bs.filter((b) => b <= cut));
      expect(s.goodBytes).toBe(lastWhole);
      if (cut === lastWhole) {
        expect(s.damage).toBeUndefined();
      } else {
        expect(s.damage).toMatchObject({ kind: 'truncated', offset: lastWhole, lostBytes: cut - lastWhole });
        expect(s.damage!.message).toMatch(new RegExp(`^truncated at byte ${lastWhole}: `));
      }
    }
  });

  test('a flipped byte in a chunk: corrupt at that chunk, the ones before still read', async () => {
    const bs = boundaries(bytes);
    const target = bs[3]; // the fourth chunk
    const bad = Buffer.from(bytes);
    bad[target + 20] ^= 0xff;
    const p = join(dir, 'flip.usrec');
    writeFileSync(p, bad);
    const s = await scanRecording(p);
    expect(s.damage).toMatchObject({ kind: 'corrupt', offset: target, lostBytes: bytes.length - target });
    expect(s.damage!.message).toMatch(/CRC mismatch/);
    expect(s.goodBytes).toBe(target);
  });

  test('CLI: a cut recording is reported up to the cut, one stderr line with the offset, exit 3', async () => {
    const bs = boundaries(bytes);
    const cut = bs[4] + 37;
    const p = join(dir, 'cli-cut.usrec');
    writeFileSync(p, bytes.subarray(0, cut));
    const r = await runCli(['report', p, '--json']);
    expect(r.code).toBe(3);
    expectOneLine(r, new RegExp(`incomplete recording, truncated at byte ${bs[4]}: .* ${cut - bs[4]} bytes after it lost`));
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0].type).toBe('summary');
    expect(lines[1].recording).toMatchObject({ complete: false, summarySource: 'intervals' });
    expect(lines[1].recording.damage).toMatchObject({ kind: 'truncated', offset: bs[4] });
    for (const fmt of ['csv', 'perfetto', 'json']) {
      const e = await runCli(['export', p, '--format', fmt, '-o', join(dir, `cut.${fmt}`)]);
      expect(e.code).toBe(3);
      expectOneLine(e, /incomplete recording, truncated at byte \d+/);
    }
  });

  const refusals: [string, () => Buffer, RegExp][] = [
    ['an empty file', () => Buffer.alloc(0), /empty file \(0 bytes\), not a uringscope recording/],
    ['random garbage', () => Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919 + 13) % 256)), /not a uringscope recording \(no "USREC" magic at byte 0\)/],
    ['a text file', () => Buffer.from('hello world\n'), /not a uringscope recording/],
    ['a newer format version', () => { const b = Buffer.from(bytes); b.writeUInt16LE(FORMAT_VERSION + 1, 6); return b; }, /format version 2 \(byte 6\) is newer than this uringscope reads/],
    ['only the magic', () => bytes.subarray(0, 5), /truncated at byte 5/],
    ['a cut header chunk', () => bytes.subarray(0, 40), /no complete header chunk: truncated at byte 8/],
    ['a corrupt header chunk', () => { const b = Buffer.from(bytes); b[20] ^= 1; return b; }, /no complete header chunk: corrupt at byte 8: CRC mismatch/],
    ['garbage after the magic', () => Buffer.concat([bytes.subarray(0, 8), Buffer.alloc(100, 0xee)]), /corrupt at byte 8: chunk length \d+ is impossible/],
  ];

  test.each(refusals)('refuses %s: one line, exit 65, no stack', async (_what, make, re) => {
    const p = join(dir, 'bad.usrec');
    writeFileSync(p, make());
    for (const args of [['report', p], ['report', p, '--json'], ['export', p, '--format', 'csv', '-o', join(dir, 'bad.csv')]]) {
      const r = await runCli(args);
      expect(r.code).toBe(65);
      expectOneLine(r, re);
      expect(r.stdout).toBe('');
    }
  });

  test('a file that does not exist', async () => {
    const r = await runCli(['report', join(dir, 'nope.usrec')]);
    expect(r.code).toBe(66);
    expectOneLine(r, /cannot open .*nope\.usrec: no such file/);
  });
});
