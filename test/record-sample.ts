// A small recording written by the real writer (no BPF), for the tests of
// the recording format: 3 intervals of 250 request records each, then an
// end chunk; and helpers to take such a file apart.
import { RecordingWriter } from '../recording/writer.js';
import { CHUNK_OVERHEAD, EVENT_LAYOUT, FILE_HEADER_SIZE, FORMAT_VERSION, type RecordingHeader, type SnapshotJson } from '../recording/format.js';
import { emptySnapshot, type Summary } from '../tracers/summary.js';
import type { CliResult } from './support.js';

export function header(): RecordingHeader {
  return {
    format: 'uringscope-recording', formatVersion: FORMAT_VERSION,
    tool: { name: 'uringscope', version: 'test', node: process.version }, createdAt: new Date(0).toISOString(),
    startKtimeNs: 1_000_000, kernel: { release: '6.18', version: '#1', arch: 'x64' }, cpu: { model: 'test', count: 2 },
    commandLine: ['record', '-o', 'x'], mode: 'trace', config: {}, events: true, eventLayout: EVENT_LAYOUT,
    opNames: ['NOP', 'READV', 'WRITEV'], histBuckets: 160, histSubBits: 2,
  };
}

export function summary(type: 'interval' | 'summary', n: number): Summary {
  const z = { voluntary: 0, involuntary: 0, offCpuNs: 0, onCpuNs: 0 };
  return {
    type, durationNs: 1e9,
    requests: { NOP: { submitted: n, completed: n, errors: 0, cancelled: 1, latencyNs: { count: n, p50: 100, p90: 200, p99: 300, max: 400 } } },
    failLinks: 0, reqFailed: 0, cqOverflows: 0, asyncPunts: 0, pollArms: 0, taskWork: { adds: 0, runs: 0, localRuns: 0 },
    enter: { calls: n, toSubmit: n, timeNs: 0 }, ctxSwitches: { ...z, voluntary: 3, byThread: { app: { ...z, voluntary: 3 }, sqpoll: z, iowq: z } },
    drops: 0, untracked: { completions: 0, neverCompleted: 0, evicted: 0 }, events: { received: n, written: n },
  };
}

export function batch(n: number, seq: number): ArrayBuffer {
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

/** A cumulative tracer snapshot after `n` NOPs, as an interval chunk holds it. */
export function snapshot(n: number, ktimeNs: number): SnapshotJson {
  const counters = Object.fromEntries(Object.keys(emptySnapshot(0).counters).map((k) => [k, 0])) as unknown as SnapshotJson['counters'];
  return {
    ktimeNs, eventsReceived: n, userDrops: 0, counters: { ...counters, enterCalls: n },
    ops: [{ opcode: 0, submitted: n, completed: n, errors: 0, cancelled: 0, latCount: n, latSumNs: 100 * n, latMaxNs: 400, hist: [[20, n]] }],
    threads: [{ tid: 42, tgid: 42, kind: 'app', comm: 'load', voluntary: 3, involuntary: 0, offcpuNs: 10, oncpuNs: 20, enterCalls: n, enterNs: 5, enterToSubmit: n }],
  };
}

/** A complete recording: 3 intervals with 250 events each in between, and an end chunk; `snapshots`: the intervals hold cumulative snapshots too. */
export async function writeSample(path: string, o: { snapshots?: boolean } = {}): Promise<number> {
  const w = await RecordingWriter.create(path, header(), { syncIntervals: false });
  let events = 0;
  for (let k = 0; k < 3; k++) {
    w.events(batch(250, k));
    events += 250;
    const ktimeNs = 3_000_000 + k;
    w.interval({ ktimeNs, summary: summary('interval', 250), ...(o.snapshots ? { snapshot: snapshot(events, ktimeNs) } : {}) });
  }
  w.end({ ktimeNs: 4_000_000, reason: 'command-exit', exitCode: 0, summary: summary('summary', 750) });
  await w.close();
  return events;
}

/** Offsets where chunks start, and the file size (the last boundary). */
export function boundaries(buf: Buffer): number[] {
  const out = [FILE_HEADER_SIZE];
  let o = FILE_HEADER_SIZE;
  while (o < buf.length) {
    o += buf.readUInt32LE(o + 4) + CHUNK_OVERHEAD;
    out.push(o);
  }
  return out;
}

export function expectOneLine(r: CliResult, re: RegExp): void {
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(re);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}
