// Reads and validates workload files: JSON syntax, then the schema, then the
// checks the schema cannot express. Every failure is a UserError (exit 2)
// whose one line names the file, the place (a JSON pointer) and what was
// expected.
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { UserError } from '../tracers/errors.js';
import { describeJsonError } from './json-error.js';
import { formatProblem, fsReason } from './problem.js';
import { schemaProblem } from './schema-errors.js';
import { workloadSchema } from './schema.js';
import { semanticProblem } from './semantics.js';
import type { FileContent, FileTarget, RingSpec, StepSpec, TargetSpec, WorkloadSpec } from './spec.js';

// verbose: errors carry the offending value and their schema (for `expected`).
const ajv = new Ajv({ allErrors: true, verbose: true, discriminator: true, strict: true });
ajv.addKeyword({ keyword: 'expected', schemaType: 'string' });
const validate = ajv.compile<WorkloadSpec>(workloadSchema);

export function parseWorkload(text: string, sourceName: string): WorkloadSpec {
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new UserError(`${sourceName}: ${describeJsonError((e as Error).message, text)}`, 2);
  }
  if (!validate(value)) throw new UserError(formatProblem(sourceName, schemaProblem(validate.errors ?? [])), 2);
  const problem = semanticProblem(value);
  if (problem) throw new UserError(formatProblem(sourceName, problem), 2);
  return value;
}

export function loadWorkloadFile(path: string): WorkloadSpec {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read workload file ${path}: ${fsReason(e)}`, 2);
  }
  return parseWorkload(text, path);
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
