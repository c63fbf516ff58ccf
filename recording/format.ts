// The on-disk format of a recording (`uringscope record`). Append-only and
// made of self-checking chunks, so a file cut anywhere (kill -9, power loss,
// disk full) still reads up to its last complete chunk:
//
//   file   = magic "USREC\0" (6 bytes) + u16 LE format version, then chunks
//   chunk  = u32 LE type | u32 LE payload length | payload | u32 LE crc32
//            (the CRC-32 of zlib/PNG, over type + length + payload)
//
// Chunk types (payloads):
//   HEADER   1  JSON: RecordingHeader (always the first chunk)
//   INTERVAL 2  JSON: IntervalRecord (one per interval of the run)
//   EVENTS   3  raw 80-byte request records (struct us_event, bpf/tracer.h,
//               little-endian) exactly as drained from the tracer, many per chunk
//   END      4  JSON: EndRecord (final summary, engine object, losses)
// A reader skips chunk types it does not know (when their CRC holds), so
// new types can be added without a version bump; a layout change bumps
// FORMAT_VERSION and older readers refuse the file with a clear line.
import { crc32 as zlibCrc32 } from 'node:zlib';
import type { NativePhases, NativeDist, NativeSnapshot, PhaseName } from '../native/index.js';
import type { Summary } from '../tracers/summary.js';
import { ABI } from '../core/abi.js';

export const MAGIC = Buffer.from('USREC\0', 'latin1');
export const FORMAT_VERSION = 1;
export const FILE_HEADER_SIZE = 8;
export const CHUNK_HEADER_SIZE = 8;
export const CHUNK_TRAILER_SIZE = 4;
export const CHUNK_OVERHEAD = CHUNK_HEADER_SIZE + CHUNK_TRAILER_SIZE;
/** Largest payload a writer produces and a reader accepts (anything larger is corruption). */
export const MAX_CHUNK_PAYLOAD = 16 * 1024 * 1024;
/** Events per EVENTS chunk at most (1.25 MiB of records). */
export const MAX_EVENTS_PER_CHUNK = 16384;

export const ChunkType = { HEADER: 1, INTERVAL: 2, EVENTS: 3, END: 4 } as const;
export type ChunkTypeId = (typeof ChunkType)[keyof typeof ChunkType];

export function chunkTypeName(t: number): string {
  return Object.entries(ChunkType).find(([, v]) => v === t)?.[0].toLowerCase() ?? `type ${t}`;
}

// Node 20.15+ has zlib.crc32 (native zlib, the same polynomial as PNG/gzip);
// package.json requires Node >= 20.19, so no table implementation is needed.
export function crc32(data: Uint8Array, prev = 0): number {
  return zlibCrc32(data, prev) >>> 0;
}

export function fileHeader(): Buffer {
  const b = Buffer.alloc(FILE_HEADER_SIZE);
  MAGIC.copy(b, 0);
  b.writeUInt16LE(FORMAT_VERSION, 6);
  return b;
}

/** The 8-byte chunk header and the 4-byte trailer for a payload (given as one or more parts). */
export function chunkFrame(type: number, parts: readonly Uint8Array[]): { head: Buffer; tail: Buffer } {
  const length = parts.reduce((n, p) => n + p.byteLength, 0);
  const head = Buffer.alloc(CHUNK_HEADER_SIZE);
  head.writeUInt32LE(type, 0);
  head.writeUInt32LE(length, 4);
  let c = crc32(head);
  for (const p of parts) c = crc32(p, c);
  const tail = Buffer.alloc(CHUNK_TRAILER_SIZE);
  tail.writeUInt32LE(c, 0);
  return { head, tail };
}

/** A whole chunk in one buffer (JSON chunks, tests). */
export function encodeChunk(type: number, payload: Uint8Array): Buffer {
  const { head, tail } = chunkFrame(type, [payload]);
  return Buffer.concat([head, payload, tail]);
}

export function jsonChunk(type: number, value: unknown): Buffer {
  return encodeChunk(type, Buffer.from(JSON.stringify(value), 'utf8'));
}

/** Field offsets of one 80-byte record, written into the header so a file describes itself. */
export const EVENT_LAYOUT = { size: ABI.event.size, endian: 'little', fields: ABI.event.fields } as const;

export interface RecordingHeader {
  format: 'uringscope-recording';
  formatVersion: number;
  tool: { name: string; version: string; node: string };
  createdAt: string;
  /** CLOCK_MONOTONIC (the BPF timestamps' clock) when recording started. */
  startKtimeNs: number;
  kernel: { release: string; version: string; arch: string };
  cpu: { model: string; count: number };
  /** uringscope's arguments (after the node and script paths). */
  commandLine: string[];
  mode: 'trace' | 'run' | 'replay';
  /** trace: the target and tracer options; run: the workload spec, strategy and overrides; replay: the source and options. */
  config: Record<string, unknown>;
  events: boolean;
  eventLayout: typeof EVENT_LAYOUT;
  /** IORING_OP_* names of the recording kernel, by opcode. */
  opNames: string[];
  histBuckets: number;
  histSubBits: number;
}

/** A histogram in JSON: its non-zero buckets as [bucket, count] pairs. */
export type SparseHist = [number, number][];

/** A distribution in JSON (its histogram sparse). */
export type DistJson = Omit<NativeDist, 'hist'> & { hist: SparseHist };

/** trace --anatomy's phases in JSON. */
export interface PhasesJson extends Omit<NativePhases, 'byPhase'> {
  byPhase: Record<PhaseName, DistJson>;
}

/** A cumulative tracer snapshot in JSON (histograms sparse). */
export interface SnapshotJson extends Omit<NativeSnapshot, 'ops' | 'reap'> {
  ops: (Omit<NativeSnapshot['ops'][number], 'hist' | 'phases'> & { hist: SparseHist; phases?: PhasesJson })[];
  reap?: DistJson;
}

export interface IntervalRecord {
  /** CLOCK_MONOTONIC at the end of the interval. */
  ktimeNs: number;
  summary: Summary;
  /** The cumulative snapshot since attach: lets a cut file recover an exact summary, and `view` draw histograms. */
  snapshot?: SnapshotJson;
  /** Event records the writer dropped so far (it could not keep up). */
  writerLost: number;
}

export interface EndRecord {
  ktimeNs: number;
  reason: string;
  exitCode?: number;
  /** The signal that killed the traced command (trace recordings whose command died). */
  signal?: string;
  /** The final summary, identical to the live `--json` summary line. */
  summary: Summary;
  /** Event records written to the file, and those the writer had to drop. */
  eventsWritten: number;
  writerLost: number;
  error?: string;
}

function sparse(h: ArrayLike<number>): SparseHist {
  const out: SparseHist = [];
  for (let b = 0; b < h.length; b++) if (h[b]) out.push([b, h[b]]);
  return out;
}

/** Buckets past `buckets` (a hostile or foreign file) are dropped, not allocated. */
function dense(pairs: SparseHist, buckets: number): Float64Array {
  const hist = new Float64Array(buckets);
  for (const [b, n] of pairs) if (b >= 0 && b < buckets) hist[b] = n;
  return hist;
}

function mapPhases<A, B>(by: Record<PhaseName, A>, f: (a: A) => B): Record<PhaseName, B> {
  return Object.fromEntries(Object.entries(by).map(([k, v]) => [k, f(v as A)])) as Record<PhaseName, B>;
}

export function snapshotToJson({ reap, ...s }: NativeSnapshot): SnapshotJson {
  const dist = (d: NativeDist): DistJson => ({ ...d, hist: sparse(d.hist) });
  return {
    ...s,
    ops: s.ops.map(({ phases, ...o }) => ({
      ...o,
      hist: sparse(o.hist),
      ...(phases ? { phases: { ...phases, byPhase: mapPhases(phases.byPhase, dist) } } : {}),
    })),
    ...(reap ? { reap: dist(reap) } : {}),
  };
}

export function snapshotFromJson({ reap, ...s }: SnapshotJson, buckets: number): NativeSnapshot {
  const dist = (d: DistJson): NativeDist => ({ ...d, hist: dense(d.hist, buckets) });
  return {
    ...s,
    ops: s.ops.map(({ phases, ...o }) => ({
      ...o,
      hist: dense(o.hist, buckets),
      ...(phases ? { phases: { ...phases, byPhase: mapPhases(phases.byPhase, dist) } } : {}),
    })),
    ...(reap ? { reap: dist(reap) } : {}),
  };
}

/** IOSQE_* bits as they appear in the record's sqeFlags (the low bits of req->flags). */
export const SQE_FLAG_NAMES: [number, string][] = [
  [1, 'FIXED_FILE'], [2, 'IO_DRAIN'], [4, 'IO_LINK'], [8, 'IO_HARDLINK'], [16, 'ASYNC'],
  [32, 'BUFFER_SELECT'], [64, 'CQE_SKIP_SUCCESS'],
];

export function sqeFlagsText(f: number): string {
  return SQE_FLAG_NAMES.filter(([bit]) => f & bit).map(([, n]) => n).join('|');
}
