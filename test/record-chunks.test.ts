// JSON chunks whose CRC holds but whose content is not what the writer
// writes: a header without `tool`, an end chunk with `summary: null`, fields
// of the wrong type, huge numbers, deep nesting. The CRC only says the bytes
// are as written; the reader checks each JSON chunk against its schema, and
// every command either reads the file or refuses it in one line, exit 65.
// Never an internal error (exit 70), never `undefined` written with exit 0.
// Then a seeded fuzz in the style of record-format.test.ts: a few hundred
// mutated chunks through every reader in-process, a sample through the CLI.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { CHUNK_HEADER_SIZE, ChunkType, fileHeader, jsonChunk, encodeChunk } from '../recording/format.js';
import { exportCsv } from '../recording/export-csv.js';
import { exportJson } from '../recording/export-json.js';
import { exportPerfetto } from '../recording/export-perfetto.js';
import { EXIT_BAD_RECORDING } from '../core/exit-codes.js';
import { buildReplayStream } from '../recording/replay-stream.js';
import { buildReport } from '../recording/report.js';
import { loadTimeline } from '../recording/timeline.js';
import { UserError } from '../core/user-error.js';
import { boundaries, expectOneLine, writeSample } from './record-sample.js';
import { prng, runCli, scratchDir, type CliResult } from './support.js';

const dir = scratchDir();
const samplePath = join(dir, 'sample.usrec');
let sample: Buffer;

beforeAll(async () => {
  await writeSample(samplePath, { snapshots: true });
  sample = readFileSync(samplePath);
});

interface RawChunk {
  type: number;
  payload: Buffer;
}

function chunksOf(buf: Buffer): RawChunk[] {
  const bs = boundaries(buf);
  return bs.slice(0, -1).map((o) => ({ type: buf.readUInt32LE(o), payload: buf.subarray(o + CHUNK_HEADER_SIZE, o + CHUNK_HEADER_SIZE + buf.readUInt32LE(o + 4)) }));
}

/** The sample with the JSON of its chunk `index` replaced by `value`, the CRC made to match. */
function withJson(index: number, value: unknown): Buffer {
  return Buffer.concat([fileHeader(), ...chunksOf(sample).map((c, i) => (i === index ? jsonChunk(c.type, value) : encodeChunk(c.type, c.payload)))]);
}

function jsonChunkIndex(type: number): number {
  return chunksOf(sample).findIndex((c) => c.type === type);
}

function parsed(index: number): Record<string, unknown> {
  return JSON.parse(chunksOf(sample)[index].payload.toString('utf8')) as Record<string, unknown>;
}

// ---------------------------------------------------------------------------
// The cases the review found, through the real CLI.

const CORRUPT = (chunk: string) => new RegExp(`^uringscope: corrupt recording: \\S+: ${chunk} chunk at byte \\d+: `);

const regressions: [string, 'end' | 'header', (v: Record<string, unknown>) => unknown, RegExp][] = [
  ['summary: null', 'end', (v) => ({ ...v, summary: null }), /\/summary: must be an object \(got null\)$/],
  ['summary: []', 'end', (v) => ({ ...v, summary: [] }), /\/summary: must be an object \(got \[\]\)$/],
  ...['requests', 'taskWork', 'enter', 'ctxSwitches', 'untracked'].map((k): (typeof regressions)[number] => [
    `summary without ${k}`, 'end', (v) => ({ ...v, summary: { ...(v.summary as object), [k]: undefined } }), new RegExp(`/summary: missing required property "${k}"$`),
  ]),
  ...['tool', 'kernel', 'cpu', 'commandLine', 'opNames'].map((k): (typeof regressions)[number] => [
    `a header without ${k}`, 'header', (v) => ({ ...v, [k]: undefined }), new RegExp(`missing required property "${k}"$`),
  ]),
];

function expectRefused(r: CliResult, chunk: string, what: RegExp): void {
  expect(r.code).toBe(EXIT_BAD_RECORDING);
  expectOneLine(r, CORRUPT(chunk));
  expect(r.stderr.trim()).toMatch(what);
  expect(r.stdout).toBe('');
}

describe('a JSON chunk with a valid CRC but the wrong shape: one line, exit 65', () => {
  test.each(regressions)('%s: report and export json', async (_what, chunk, mutate, what) => {
    const i = jsonChunkIndex(chunk === 'end' ? ChunkType.END : ChunkType.HEADER);
    const p = join(dir, `reg-${chunk}.usrec`);
    writeFileSync(p, withJson(i, mutate(parsed(i))));
    expectRefused(await runCli(['report', p]), chunk, what);
    expectRefused(await runCli(['export', p, '--format', 'json']), chunk, what);
  });

  test.each([regressions[0], regressions[7]])('%s: every command that reads a recording', async (_what, chunk, mutate, what) => {
    const i = jsonChunkIndex(chunk === 'end' ? ChunkType.END : ChunkType.HEADER);
    const p = join(dir, `all-${chunk}.usrec`);
    writeFileSync(p, withJson(i, mutate(parsed(i))));
    for (const args of [
      ['report', p, '--json'], ['report', p, samplePath], ['export', p, '--format', 'csv'], ['export', p, '--format', 'perfetto'],
      // refused while reading the recording, before any ring or engine
      ['replay', p, '--strategy', 'user'],
    ]) {
      expectRefused(await runCli(args), chunk, what);
    }
  });

  test('nested 100000 levels deep: refused by depth, before the schema or any reader recurses', async () => {
    const i = jsonChunkIndex(ChunkType.END);
    const p = join(dir, 'deep.usrec');
    const end = JSON.stringify(parsed(i)).replace('"reason":', `"deep":${'['.repeat(100000)}${']'.repeat(100000)},"reason":`);
    writeFileSync(p, Buffer.concat([fileHeader(), ...chunksOf(sample).map((c, k) => encodeChunk(c.type, k === i ? Buffer.from(end) : c.payload))]));
    expectRefused(await runCli(['report', p]), 'end', /\/deep\/0\/0.*: nested deeper than 64 levels$/);
  });
});

// ---------------------------------------------------------------------------
// The fuzz: seeded mutations of the sample's JSON chunks (header, intervals
// with snapshots, end), each re-framed with a correct CRC.

const WEIRD: unknown[] = [null, true, false, 'x', '', -1, 0, 1.5, -0.5, 1e308, -1e308, 2 ** 64, 2 ** 53 + 2, [], {}, [1, 2], { a: 1 }, [[[[[]]]]]];

type Container = Record<string, unknown> | unknown[];

/** Every (container, key) in a value, for picking a place to change. */
function places(v: unknown, out: [Container, string][] = []): typeof out {
  if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      out.push([v as Container, k]);
      places(x, out);
    }
  }
  return out;
}

function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let d = 0; d < depth; d++) v = d % 2 ? [v] : { n: v };
  return v;
}

/** One to three changes to a chunk's JSON: drop, replace, retype, null, array, huge number, deep nesting. */
function mutate(doc: unknown, rnd: () => number): unknown {
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  if (rnd() < 0.04) return pick(WEIRD); // the whole chunk
  const root = { doc };
  const n = 1 + Math.floor(rnd() * 3);
  for (let k = 0; k < n; k++) {
    const ps = places(root);
    if (!ps.length) break; // the whole chunk was dropped
    const [obj, key] = pick(ps);
    const o = obj as Record<string, unknown>;
    const cur = o[key];
    switch (Math.floor(rnd() * 7)) {
      case 0:
        if (Array.isArray(obj)) obj.splice(Number(key), 1);
        else delete o[key];
        break;
      case 1:
        o[key] = pick(WEIRD);
        break;
      case 2: // retype: the same value as another JSON type
        o[key] = typeof cur === 'number' ? String(cur) : typeof cur === 'string' ? cur.length : Array.isArray(cur) ? { ...cur } : cur && typeof cur === 'object' ? Object.values(cur) : [cur];
        break;
      case 3:
        o[key] = null;
        break;
      case 4:
        o[key] = [cur];
        break;
      case 5:
        o[key] = pick([1e308, -1e308, Number.MAX_SAFE_INTEGER, 2 ** 64, -(2 ** 63), 1e21, 4.9e-324]);
        break;
      default:
        o[key] = nested(pick([10, 63, 70, 3000]));
    }
  }
  return root.doc ?? null; // a dropped chunk: its JSON is null
}

/** A Writable that keeps what is written. */
function collector(): Writable & { text(): string } {
  const parts: Buffer[] = [];
  const w = new Writable({
    write(chunk: Buffer, _enc, cb) {
      parts.push(chunk);
      cb();
    },
  });
  return Object.assign(w, { text: () => Buffer.concat(parts).toString('utf8') });
}

/** Every reader of a recording, in-process: what `report`, `export`, `replay` and `view` read. */
const READERS: [string, (p: string) => Promise<string>][] = [
  ['report', async (p) => JSON.stringify(await buildReport(p))],
  ['export json', async (p) => { const c = collector(); await exportJson(p, c); return c.text(); }],
  ['export csv', async (p) => { const c = collector(); await exportCsv(p, c); return c.text(); }],
  ['export perfetto', async (p) => { const c = collector(); await exportPerfetto(p, c); return c.text(); }],
  ['replay', async (p) => JSON.stringify(await buildReplayStream(p, 1), (_k, v: unknown) => (ArrayBuffer.isView(v) ? `[${v.constructor.name}]` : v))],
  ['view', async (p) => JSON.stringify((await loadTimeline(p)).summary)],
];

describe('fuzz: mutated JSON chunks with correct CRCs', () => {
  const rnd = prng(65);
  const jsonChunks = () => chunksOf(sample).map((c, i) => ({ ...c, i })).filter((c) => c.type !== ChunkType.EVENTS);
  const cases = () => {
    const targets = jsonChunks();
    return Array.from({ length: 300 }, () => {
      const t = targets[Math.floor(rnd() * targets.length)];
      return withJson(t.i, mutate(JSON.parse(t.payload.toString('utf8')), rnd));
    });
  };
  let made: Buffer[];
  beforeAll(() => {
    made = cases();
  });

  test('300 mutations through every reader: read, or one line, exit 65; no other error, no "undefined" out', async () => {
    const p = join(dir, 'fuzz.usrec');
    const outcomes = { read: 0, refused: 0 };
    for (let k = 0; k < made.length; k++) {
      writeFileSync(p, made[k]);
      for (const [name, read] of READERS) {
        try {
          const out = await read(p);
          expect({ k, name, undefinedOut: /\bundefined\b/.test(out) }).toEqual({ k, name, undefinedOut: false });
          outcomes.read++;
        } catch (e) {
          const err = e as Error;
          expect({ k, name, error: err instanceof UserError ? 'UserError' : `${err.name}: ${err.message}` }).toEqual({ k, name, error: 'UserError' });
          expect({ k, name, code: (err as UserError).exitCode, lines: err.message.split('\n').length }).toEqual({ k, name, code: EXIT_BAD_RECORDING, lines: 1 });
          outcomes.refused++;
        }
      }
    }
    // the mutations bite, and not every one is refused
    expect(outcomes.refused).toBeGreaterThan(0);
    expect(outcomes.read).toBeGreaterThan(0);
  });

  test('a sample through the CLI: exit 0 or 65, at most one stderr line, no internal error, no "undefined"', async () => {
    const p = join(dir, 'fuzz-cli.usrec');
    for (let k = 0; k < made.length; k += 75) {
      writeFileSync(p, made[k]);
      for (const args of [['report', p], ['report', p, '--json'], ['export', p, '--format', 'json'], ['export', p, '--format', 'csv'], ['export', p, '--format', 'perfetto']]) {
        const r = await runCli(args);
        const lines = r.stderr.split('\n').filter(Boolean);
        expect({ k, args, code: [0, EXIT_BAD_RECORDING].includes(r.code ?? -1), lines: lines.length <= 1 }).toEqual({ k, args, code: true, lines: true });
        expect({ k, args, stderr: r.stderr }).not.toEqual({ k, args, stderr: expect.stringMatching(/internal error|\n\s+at /) });
        if (r.code === EXIT_BAD_RECORDING) expect(lines[0]).toMatch(/^uringscope: /);
        else expect({ k, args, undefinedOut: /\bundefined\b/.test(r.stdout) }).toEqual({ k, args, undefinedOut: false });
      }
    }
  });
});
