// JSON Schema (draft-07, ajv's default) for the JSON chunks of a recording:
// the header, each interval and the end (format.ts), as the writer writes
// them (cli/recorded.ts baseHeader, tracers/summary.ts summarize). The
// mapped types make tsc fail when a field of those types is missing here or
// exists only here, so the schema and the writer cannot drift apart.
//
// Unlike a workload, a recording may hold properties this reader does not
// know: a newer writer may add fields without a format version bump (as it
// may add chunk types), so unknown properties are let through, not refused.
// What the readers use must be there with its type: a CRC only says the
// bytes are as written, not that what was written makes sense.
import type { SchemaObject } from 'ajv';
import type { ValidatorSet } from '../core/compiled-validators.js';
import { STRATEGIES } from '../core/strategy.js';
import type { EngineSummary } from '../core/engine-summary.js';
import type {
  BpfOpsSummary, LatencySummary, OpAnatomy, OpSummary, PhaseSummary, Summary, SwitchCounts, ThreadSummary, WaitSummary,
} from '../tracers/summary.js';
import type { TraceEnded } from '../tracers/trace-end.js';
import type { NativeCounters, NativeOpStats, NativeThread, PhaseName, ThreadKind } from '../native/index.js';
import type { DistJson, EndRecord, IntervalRecord, PhasesJson, RecordingHeader, SnapshotJson } from './format.js';

type Props<T> = { [K in keyof Required<T>]: SchemaObject };

/** The keys of a complete `Record<T, true>`: every member of the union T, no other. */
function members<T extends string>(set: Record<T, true>): T[] {
  return Object.keys(set) as T[];
}

const THREAD_KINDS = members<ThreadKind>({ app: true, sqpoll: true, iowq: true });
const END_REASONS = members<TraceEnded['reason']>({ duration: true, 'command-exit': true, 'targets-exited': true, stopped: true, signal: true });
const MODES = members<RecordingHeader['mode']>({ trace: true, run: true, replay: true });

/**
 * The tracer's histogram has 160 buckets (US_HIST_BUCKETS) of 2^2 sub-buckets;
 * a reader allocates histBuckets doubles per opcode, so an absurd count is
 * refused rather than allocated.
 */
const MAX_HIST_BUCKETS = 4096;
const MAX_HIST_SUB_BITS = 16;

const num: SchemaObject = { type: 'number' };
const int: SchemaObject = { type: 'integer' };
const str: SchemaObject = { type: 'string' };
const bool: SchemaObject = { type: 'boolean' };
const anyObject: SchemaObject = { type: 'object' };

function object<T>(properties: Props<T>, required: (keyof T & string)[]): SchemaObject {
  const schema: SchemaObject = { type: 'object', properties };
  if (required.length) schema.required = required;
  return schema;
}

/**
 * Every key of T with the same schema (counter blocks): `true` keys are
 * required, `false` ones were added later and files written before lack them.
 */
function allOf<T>(keys: Record<keyof T & string, boolean>, schema: SchemaObject): SchemaObject {
  const k = Object.keys(keys) as (keyof T & string)[];
  return object<T>(Object.fromEntries(k.map((x) => [x, schema])) as Props<T>, k.filter((x) => keys[x]));
}

const switches = allOf<SwitchCounts>({ voluntary: true, involuntary: true, offCpuNs: true, onCpuNs: true }, num);
const latency = allOf<LatencySummary>({ count: true, p50: true, p90: true, p99: true, max: true }, num);

const phaseSummary = allOf<PhaseSummary>({ count: true, p50: true, p90: true, p99: true, max: true, sumNs: true }, num);
const anatomy = object<OpAnatomy>(
  {
    paths: { type: 'object', additionalProperties: num },
    timed: object<NonNullable<OpAnatomy['timed']>>({ requests: num, ns: num }, ['requests', 'ns']),
    phases: { type: 'object', additionalProperties: phaseSummary },
  },
  [],
);

const opSummary = object<OpSummary>(
  { submitted: num, completed: num, errors: num, cancelled: num, latencyNs: latency, anatomy },
  ['submitted', 'completed', 'errors', 'cancelled', 'latencyNs'],
);

const threadSummary = object<ThreadSummary>(
  { tid: int, tgid: int, kind: { enum: THREAD_KINDS }, comm: str, enterCalls: num, voluntary: num, involuntary: num, offCpuNs: num, onCpuNs: num, waits: num, waitNs: num },
  ['tid', 'tgid', 'kind', 'comm', 'enterCalls', 'voluntary', 'involuntary', 'offCpuNs', 'onCpuNs'],
);

const waits = object<WaitSummary>(
  {
    count: num, offCpuNs: num,
    ended: allOf<WaitSummary['ended']>({ events: true, timeout: true, signal: true, error: true }, num),
  },
  ['count', 'offCpuNs', 'ended'],
);

const ended = object<TraceEnded>({ reason: { enum: END_REASONS }, exitCode: int, signal: str }, ['reason']);

const bpfOps = object<BpfOpsSummary>(
  {
    rings: num, loopSteps: num, loopRuns: num, stops: num, errors: num, sqesFromBpf: num, sqesFromUser: num, runNs: num,
    programs: { type: 'array', items: object<BpfOpsSummary['programs'][number]>({ id: int, name: str }, ['id', 'name']) },
  },
  ['rings', 'loopSteps', 'loopRuns', 'stops', 'errors', 'sqesFromBpf', 'sqesFromUser', 'runNs', 'programs'],
);

// Files written by older versions may lack engine fields (core/engine-summary.ts):
// only the types are checked, and readers check what they use.
const engine = object<EngineSummary>(
  {
    strategy: { enum: STRATEGIES }, chains: num, chainsFailed: num, chainsInterrupted: num, steps: num, resubmits: num,
    cancelled: num, retries: num, bytes: num, wallNs: num, cpuNs: num, processCpuNs: num, enterCalls: num,
    ctxSwitches: anyObject, requests: { type: 'object', additionalProperties: anyObject }, stopReason: str, readChecksum: str,
    files: { type: 'object', additionalProperties: anyObject }, chainLatencyNs: anyObject, policy: anyObject, replay: anyObject, stall: anyObject,
  },
  [],
);

export const summarySchema = object<Summary>(
  {
    type: { enum: ['summary', 'interval'] },
    durationNs: num,
    ended,
    requests: { type: 'object', additionalProperties: opSummary },
    failLinks: num,
    reqFailed: num,
    cqOverflows: num,
    asyncPunts: num,
    pollArms: num,
    taskWork: allOf<Summary['taskWork']>({ adds: true, runs: true, localRuns: true }, num),
    enter: allOf<Summary['enter']>({ calls: true, toSubmit: true, timeNs: true }, num),
    waits,
    reap: phaseSummary,
    ctxSwitches: {
      ...switches,
      properties: { ...switches.properties, byThread: allOf<Record<ThreadKind, SwitchCounts>>({ app: true, sqpoll: true, iowq: true }, switches) },
      required: [...switches.required, 'byThread'],
    },
    threads: { type: 'array', items: threadSummary },
    drops: num,
    events: allOf<NonNullable<Summary['events']>>({ received: true, written: true }, num),
    untracked: allOf<Summary['untracked']>({ completions: true, neverCompleted: true, evicted: true, processes: false, threadEvents: false }, num),
    engine,
    absent: { type: 'object', additionalProperties: str },
    bpfOps,
  },
  ['type', 'durationNs', 'requests', 'failLinks', 'reqFailed', 'cqOverflows', 'asyncPunts', 'pollArms', 'taskWork', 'enter', 'ctxSwitches', 'drops', 'untracked'],
);

const counters = allOf<NativeCounters>(
  {
    failLink: true, reqFailed: true, cqOverflows: true, asyncPunts: true, pollArms: true, taskAdds: true, taskWorkRuns: true,
    localWorkRuns: true, enterCalls: true, enterToSubmit: true, enterNs: true, eventDrops: true, eventsWritten: true,
    staleRequests: true, untracked: true, evicted: true, auxCqes: true, rings: true, targetsDropped: true, targetsMissed: false, threadsMissed: false, opsLoops: true,
    opsStops: true, opsErrors: true, opsSqes: true,
    waits: false, waitNs: false, waitsEvents: false, waitsTimeout: false, waitsSignal: false, waitsError: false,
  },
  num,
);

// sparse [bucket, count] pairs (format.ts snapshotToJson)
const sparseHist: SchemaObject = { type: 'array', items: { type: 'array', items: num, minItems: 2, maxItems: 2 } };

const dist = object<DistJson>({ count: num, sumNs: num, maxNs: num, hist: sparseHist }, ['count', 'sumNs', 'maxNs', 'hist']);
const phases = object<PhasesJson>(
  {
    requests: num, timedNs: num,
    byPhase: object<PhasesJson['byPhase']>(
      { device: dist, iowqRun: dist, iowqWait: dist, pollWait: dist, issue: dist, complete: dist },
      ['device', 'iowqRun', 'iowqWait', 'pollWait', 'issue', 'complete'],
    ),
  },
  ['requests', 'timedNs', 'byPhase'],
);

type OpJson = SnapshotJson['ops'][number];
const opStats = object<OpJson>(
  {
    opcode: { type: 'integer', minimum: 0 }, submitted: num, completed: num, errors: num, cancelled: num, latCount: num, latSumNs: num, latMaxNs: num,
    paths: { type: 'object', additionalProperties: num },
    hist: sparseHist,
    phases,
  },
  ['opcode', 'submitted', 'completed', 'errors', 'cancelled', 'latCount', 'latSumNs', 'latMaxNs', 'hist'],
);

const thread = object<NativeThread>(
  {
    tid: int, tgid: int, kind: { enum: THREAD_KINDS }, comm: str, voluntary: num, involuntary: num, offcpuNs: num, oncpuNs: num,
    enterCalls: num, enterNs: num, enterToSubmit: num, waits: num, waitNs: num,
  },
  ['tid', 'tgid', 'kind', 'comm', 'voluntary', 'involuntary', 'offcpuNs', 'oncpuNs', 'enterCalls', 'enterNs'],
);

const snapshot = object<SnapshotJson>(
  {
    ktimeNs: num, eventsReceived: num, userDrops: num, counters,
    ops: { type: 'array', items: opStats },
    threads: { type: 'array', items: thread },
    // per-target mode only: not read from a recording
    targets: { type: 'array' },
    reap: dist,
  },
  ['ktimeNs', 'eventsReceived', 'userDrops', 'counters', 'ops', 'threads'],
);

export const intervalSchema = object<IntervalRecord>(
  { ktimeNs: num, summary: summarySchema, snapshot, writerLost: num },
  ['ktimeNs', 'summary', 'writerLost'],
);

export const endSchema = object<EndRecord>(
  { ktimeNs: num, reason: str, exitCode: int, signal: str, summary: summarySchema, eventsWritten: num, writerLost: num, error: str },
  ['ktimeNs', 'reason', 'summary', 'eventsWritten', 'writerLost'],
);

export const headerSchema = object<RecordingHeader>(
  {
    format: { const: 'uringscope-recording' },
    formatVersion: { type: 'integer', minimum: 1 },
    tool: object<RecordingHeader['tool']>({ name: str, version: str, node: str }, ['name', 'version', 'node']),
    createdAt: str,
    startKtimeNs: num,
    kernel: object<RecordingHeader['kernel']>({ release: str, version: str, arch: str }, ['release', 'version', 'arch']),
    cpu: object<RecordingHeader['cpu']>({ model: str, count: { type: 'integer', minimum: 0 } }, ['model', 'count']),
    commandLine: { type: 'array', items: str },
    mode: { enum: MODES },
    config: anyObject,
    events: bool,
    eventLayout: anyObject,
    opNames: { type: 'array', items: str },
    histBuckets: { type: 'integer', minimum: 1, maximum: MAX_HIST_BUCKETS },
    histSubBits: { type: 'integer', minimum: 0, maximum: MAX_HIST_SUB_BITS },
  },
  [
    'format', 'formatVersion', 'tool', 'createdAt', 'startKtimeNs', 'kernel', 'cpu', 'commandLine', 'mode', 'config', 'events',
    'eventLayout', 'opNames', 'histBuckets', 'histSubBits',
  ],
);

/**
 * How the schemas are compiled, at build time (core/compiled-validators.ts):
 * verbose, so that errors carry the offending value (schemaProblem shows it).
 */
export const chunkValidators: ValidatorSet<'header' | 'interval' | 'end'> = {
  name: 'chunks',
  options: { allErrors: true, verbose: true, strict: true },
  keywords: [],
  schemas: { header: headerSchema, interval: intervalSchema, end: endSchema },
};
