// JSON Schema (draft-07, ajv's default) for the WorkloadSpec of spec.ts.
// The mapped types make tsc fail when a field or an enum value of spec.ts is
// missing here or exists only here, so the two cannot drift apart.
// `additionalProperties: false` everywhere turns a misspelt field into an
// error instead of a silently ignored default.
// `expected` is our own annotation keyword (registered by workloadValidators): how an
// error message describes a valid value where ajv's wording would not help
// (oneOf forms, patterns).
import type { SchemaObject } from 'ajv';
import type { ValidatorSet } from '../core/compiled-validators.js';
import type {
  FileContent, FileTarget, LengthRule, OffsetRule, PathTarget, RingSpec, SocketTarget, StepOp,
  StepSpec, TargetSpec, WorkloadSpec,
} from './spec.js';

type Props<T> = { [K in keyof Required<T>]: SchemaObject };

/** The keys of a complete `Record<T, true>`: every member of the union T, no other. */
function members<T extends string>(set: Record<T, true>): T[] {
  return Object.keys(set) as T[];
}

export const STEP_OPS = members<StepOp>({
  nop: true, read: true, write: true, readv: true, writev: true, send: true, recv: true,
  timeout: true, poll: true, fsync: true, openat: true, close: true,
});
const FILE_CONTENTS = members<FileContent>({ zero: true, random: true, records: true });
const SOCKET_KINDS = members<SocketTarget['kind']>({ socketpair: true, tcp: true, pipe: true });
export const TARGET_KINDS = members<TargetSpec['kind']>({ file: true, path: true, socketpair: true, tcp: true, pipe: true });
const ON_SHORT = members<NonNullable<StepSpec['onShort']>>({ continue: true, retry: true });
const ON_ZERO = members<NonNullable<StepSpec['onZero']>>({ stop: true, continue: true });
const ON_ERROR = members<NonNullable<StepSpec['onError']>>({ fail: true, retry: true, skip: true });

// The bounds of the workload format, in one place. A JSON number is a
// double: above 2^53 it is not the integer that was written (2^64+5 parses as
// 18446744073709551616), so every count is refused there rather than
// silently changed; the engine's u64 offsets (at most 2^63-1 for the
// kernel's loff_t) are all below that.

/** io_uring_setup's limit (IORING_MAX_ENTRIES); the kernel rounds entries up to a power of two. */
export const MAX_RING_ENTRIES = 32768;
/** A transfer's length travels in the SQE's u32 `len` and comes back in the CQE's s32 `res`. */
const MAX_LEN = 0x7fffffff;
/** The largest integer a JSON number carries exactly. */
export const MAX_EXACT = Number.MAX_SAFE_INTEGER;
/**
 * Chains in flight: the bpf strategy's SQ holds two entries per chain plus
 * two (16383 fills IORING_MAX_ENTRIES); under link a whole chain must fit
 * too, checked against the steps in semantics.ts.
 */
export const MAX_CONCURRENCY = 16383;
/**
 * A chain's buffer: the engine plan and the BPF runtime keep it in a u32
 * (2^32 wrapped to 0: a hang under link/user, 2^32+16384 ran as 16384), and
 * under bpf it is one value of a map whose offsets the verifier tracks only
 * below 2^29 (BPF_MAX_VAR_OFF: 1 GiB was refused as an unbounded access).
 * 256 MiB per chain works under every strategy.
 */
export const MAX_BUFFER_BYTES = 2 ** 28;
/** Every chain in flight has its own buffer: all of them together, allocated and zeroed at the start. */
export const MAX_TOTAL_BUFFER_BYTES = 2 ** 32;
/** A scratch file: 1 TiB, and never more than the scratch directory has free (checked before a run). */
export const MAX_FILE_BYTES = 2 ** 40;
/** Chains started per second: below one per 1000 s a run looks hung; 0 means "as fast as possible". */
export const MIN_RATE = 0.001;
/** A 32-bit count in the engine's plan (records, header offsets). */
const MAX_U32 = 0xffffffff;
/** Target names are referenced as NAME or NAME.a / NAME.b, so no dots. */
export const TARGET_NAME = '^[A-Za-z_][A-Za-z0-9_-]*$';

function count(min = 0, max = MAX_EXACT): SchemaObject {
  return { type: 'integer', minimum: min, maximum: max };
}
const flag: SchemaObject = { type: 'boolean' };
const text: SchemaObject = { type: 'string', minLength: 1 };

function object<T>(properties: Props<T>, required: (keyof T & string)[] = []): SchemaObject {
  const schema: SchemaObject = { type: 'object', properties, additionalProperties: false };
  if (required.length) schema.required = required;
  return schema;
}

type Records = NonNullable<FileTarget['records']>;
type HeaderRule = Extract<LengthRule, object>;
type PerChainRule = Extract<OffsetRule, { perChain: number }>;
type SameAsRule = Extract<OffsetRule, { sameAs: number }>;

const fileTarget = object<FileTarget>(
  {
    kind: { const: 'file' },
    size: count(0, MAX_FILE_BYTES),
    content: { enum: FILE_CONTENTS },
    records: object<Records>({ count: count(0, MAX_U32), maxBody: count(0, MAX_LEN) }, ['count', 'maxBody']),
    direct: flag,
  },
  ['kind', 'size'],
);
const pathTarget = object<PathTarget>({ kind: { const: 'path' }, path: text }, ['kind', 'path']);
const socketTarget = object<SocketTarget>({ kind: { enum: SOCKET_KINDS } }, ['kind']);

// The discriminator picks the branch by `kind`, so errors come from that
// branch only instead of from all three.
const target: SchemaObject = {
  type: 'object',
  discriminator: { propertyName: 'kind' },
  oneOf: [fileTarget, pathTarget, socketTarget],
};

const length: SchemaObject = {
  expected: 'a number of bytes, "previous" or {"header": {"step": N, "at": N}}',
  oneOf: [
    count(0, MAX_LEN),
    { const: 'previous' },
    object<HeaderRule>({ header: object<HeaderRule['header']>({ step: count(), at: count(0, MAX_BUFFER_BYTES) }, ['step']) }, ['header']),
  ],
};

const offset: SchemaObject = {
  expected: 'a number, "continue", {"perChain": N, "base": N} or {"sameAs": STEP}',
  oneOf: [
    count(),
    { const: 'continue' },
    object<PerChainRule>({ perChain: count(), base: count() }, ['perChain']),
    object<SameAsRule>({ sameAs: count() }, ['sameAs']),
  ],
};

const step = object<StepSpec>(
  {
    op: { enum: STEP_OPS },
    target: text,
    fdFrom: count(0, 15),
    len: length,
    offset,
    bufOffset: count(0, MAX_BUFFER_BYTES),
    timeoutNs: count(),
    dontwait: flag,
    hardlink: flag,
    async: flag,
    expect: {
      type: 'array',
      items: { type: 'string', pattern: '^E[A-Z0-9]+$', expected: 'an errno name such as "ETIME"' },
    },
    onShort: { enum: ON_SHORT },
    onZero: { enum: ON_ZERO },
    onError: { enum: ON_ERROR },
    retries: count(0, 1000),
  },
  ['op'],
);

const ring = object<RingSpec>({
  entries: count(1, MAX_RING_ENTRIES),
  sqpoll: flag,
  sqThreadIdleMs: count(0, MAX_U32),
  deferTaskrun: flag,
  registeredBuffers: flag,
  registeredFiles: flag,
});

export const workloadSchema = object<WorkloadSpec>(
  {
    name: text,
    description: text,
    targets: {
      type: 'object',
      propertyNames: { pattern: TARGET_NAME, expected: 'made of letters, digits, _ and - (no dots), starting with a letter or _' },
      additionalProperties: target,
    },
    steps: { type: 'array', minItems: 1, maxItems: 16, items: step },
    chains: count(1),
    concurrency: count(1, MAX_CONCURRENCY),
    rate: { type: 'number', minimum: 0, maximum: 1e9 },
    bufferBytes: count(1, MAX_BUFFER_BYTES),
    ring,
  },
  ['name', 'description', 'steps'],
);

/**
 * How the schema is compiled, at build time (core/compiled-validators.ts):
 * every error (the most useful is picked), verbose so that errors carry the
 * offending value and its schema (for `expected`).
 */
export const workloadValidators: ValidatorSet<'workload'> = {
  name: 'workload',
  options: { allErrors: true, verbose: true, discriminator: true, strict: true },
  keywords: ['expected'],
  schemas: { workload: workloadSchema },
};
