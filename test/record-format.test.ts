// The recording format on its own (no BPF): a file written by the writer
// reads back whole; cut at every chunk boundary and at random offsets it
// still reads up to the cut and says what was lost; garbage, an empty file,
// a newer version and a damaged header are refused with one line.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scanRecording } from '../recording/scan.js';
import { ChunkType, FORMAT_VERSION } from '../recording/format.js';
import { runCli, scratchDir } from './support.js';
import { boundaries, expectOneLine, summary, writeSample } from './record-sample.js';

const dir = scratchDir();

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
