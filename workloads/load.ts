// Reads and validates workload files: JSON syntax, then the schema, then the
// checks the schema cannot express. Every failure is a UserError (exit 2)
// whose one line names the file, the place (a JSON pointer) and what was
// expected.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { MAX_JSON_DEPTH, shortPointer, tooDeep } from './json-depth.js';
import { NotRegularFile, openRegularFileSync } from '../core/regular-file.js';
import type { ValidateFunction } from 'ajv';
import { compiledValidators } from '../core/compiled-validators.js';
import { EXIT_USAGE } from '../core/exit-codes.js';
import { UserError } from '../core/user-error.js';
import { describeJsonError } from './json-error.js';
import { formatProblem, fsReason } from './problem.js';
import { schemaProblem } from './schema-errors.js';
import { workloadValidators } from './schema.js';
import { semanticProblem } from './semantics.js';
import type { FileContent, FileTarget, RingSpec, StepSpec, TargetSpec, WorkloadSpec } from './spec.js';

let compiled: ValidateFunction | undefined;

/** The schema's validator, built with uringscope (read on the first workload only). */
function validate(value: unknown): value is WorkloadSpec {
  compiled ??= compiledValidators(workloadValidators).workload;
  return compiled(value);
}

export function parseWorkload(text: string, sourceName: string): WorkloadSpec {
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new UserError(`${sourceName}: ${describeJsonError((e as Error).message, text)}`, EXIT_USAGE);
  }
  const deep = tooDeep(value);
  if (deep !== undefined) {
    throw new UserError(formatProblem(sourceName, { path: shortPointer(deep), message: `nested deeper than ${MAX_JSON_DEPTH} levels (a workload needs 5)` }), EXIT_USAGE);
  }
  if (!validate(value)) throw new UserError(formatProblem(sourceName, schemaProblem(compiled?.errors ?? [])), EXIT_USAGE);
  const problem = semanticProblem(value);
  if (problem) throw new UserError(formatProblem(sourceName, problem), EXIT_USAGE);
  return value;
}

/** Far above any workload; a bigger "file" (a device, a runaway pipe) is not one. */
const MAX_WORKLOAD_BYTES = 16 << 20;

/**
 * The text of FIFOs read so far, by path: a FIFO gives its content once, and
 * the TUI loads a workload for its list and again for each run, where a
 * second open waited for a second writer. Regular files are read afresh, so
 * an edit between runs counts.
 */
const fifoTexts = new Map<string, string>();

function readWorkloadText(path: string, regularOnly: boolean): string {
  let fd: number;
  let fifo = false;
  if (regularOnly) {
    try {
      fd = openRegularFileSync(path);
    } catch (e) {
      if (!(e instanceof NotRegularFile)) throw e;
      throw new UserError(`${path} is ${e.kind}, not a regular file: not opened (a FIFO can be run by its path)`, EXIT_USAGE);
    }
  } else {
    const st = statSync(path);
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    fifo = st.isFIFO();
    if (!st.isFile() && !fifo) throw new UserError(`cannot read workload file ${path}: not a regular file or a FIFO`, EXIT_USAGE);
    if (fifo && fifoTexts.has(path)) return fifoTexts.get(path)!;
    fd = openSync(path, 'r');
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for (;;) {
      const b = Buffer.alloc(1 << 16);
      const n = readSync(fd, b, 0, b.length, null);
      if (n === 0) break;
      total += n;
      if (total > MAX_WORKLOAD_BYTES) throw new UserError(`cannot read workload file ${path}: larger than ${MAX_WORKLOAD_BYTES >> 20} MiB`, EXIT_USAGE);
      chunks.push(b.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (fifo) fifoTexts.set(path, text);
  return text;
}

/** The file each loaded spec came from: checks made later, at run time, name it like the ones made at load. */
const sources = new WeakMap<WorkloadSpec, string>();

export function workloadSource(spec: WorkloadSpec): string | undefined {
  return sources.get(spec);
}

/**
 * A workload file named by its path (a FIFO there is read, once: the user
 * asked for it), or with `regularOnly` one the catalog found in a directory:
 * anything but a regular file there is refused without being opened (open(2)
 * of a FIFO with no writer would block the listing forever).
 */
export function loadWorkloadFile(path: string, { regularOnly = false } = {}): WorkloadSpec {
  let text: string;
  try {
    text = readWorkloadText(path, regularOnly);
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`cannot read workload file ${path}: ${fsReason(e)}`, EXIT_USAGE);
  }
  const spec = parseWorkload(text, path);
  sources.set(spec, path);
  return spec;
}

export type StepWithDefaults = StepSpec & Required<Pick<StepSpec, 'bufOffset' | 'onShort' | 'onZero' | 'onError' | 'retries'>>;
export type TargetWithDefaults = Exclude<TargetSpec, FileTarget> | (FileTarget & { content: FileContent });

/** A workload with every defaulted field filled in (bufferBytes stays optional: the planner sizes it). */
export interface WorkloadWithDefaults extends WorkloadSpec {
  targets: Record<string, TargetWithDefaults>;
  steps: StepWithDefaults[];
  chains: number;
  concurrency: number;
  rate: number;
  ring: RingSpec & { entries: number };
}

export const DEFAULTS = {
  chains: 1000,
  concurrency: 16,
  rate: 0,
  ringEntries: 256,
  step: { bufOffset: 0, onShort: 'continue', onZero: 'stop', onError: 'fail', retries: 3 },
  fileContent: 'zero',
} as const;

/** A copy of `spec` with the defaults applied; fields the spec sets are kept. */
export function withDefaults(spec: WorkloadSpec): WorkloadWithDefaults {
  const targets = Object.fromEntries(
    Object.entries(spec.targets ?? {}).map(([name, t]): [string, TargetWithDefaults] => [
      name,
      t.kind === 'file' ? { ...t, content: t.content ?? DEFAULTS.fileContent } : { ...t },
    ]),
  );
  return {
    ...spec,
    targets,
    steps: spec.steps.map((s) => ({ ...DEFAULTS.step, ...s })),
    chains: spec.chains ?? DEFAULTS.chains,
    concurrency: spec.concurrency ?? DEFAULTS.concurrency,
    rate: spec.rate ?? DEFAULTS.rate,
    ring: { ...spec.ring, entries: spec.ring?.entries ?? DEFAULTS.ringEntries },
  };
}
