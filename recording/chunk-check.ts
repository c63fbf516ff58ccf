// Checks the JSON chunks of a recording as they are read: nesting depth
// first (ajv's validators recurse, and so do some readers), then the schema
// of the chunk's kind (chunk-schema.ts). Every reader of a recording gets
// values of the shape format.ts declares, or one line saying what is wrong.
import { Ajv, type ValidateFunction } from 'ajv';
import { MAX_JSON_DEPTH, shortPointer, tooDeep } from '../workloads/json-depth.js';
import { schemaProblem } from '../workloads/schema-errors.js';
import { endSchema, headerSchema, intervalSchema } from './chunk-schema.js';
import { ChunkType } from './format.js';

// verbose: errors carry the offending value (schemaProblem shows it).
const ajv = new Ajv({ allErrors: true, verbose: true, strict: true });

const validators: Record<number, ValidateFunction> = {
  [ChunkType.HEADER]: ajv.compile(headerSchema),
  [ChunkType.INTERVAL]: ajv.compile(intervalSchema),
  [ChunkType.END]: ajv.compile(endSchema),
};

/** Whether chunks of this type hold JSON (the others are skipped or binary). */
export function isJsonChunk(type: number): boolean {
  return type in validators;
}

/**
 * What is wrong with the parsed JSON of a chunk of `type`, as
 * "/pointer: message", or undefined when it has the shape the writer writes.
 */
export function chunkProblem(type: number, value: unknown): string | undefined {
  const deep = tooDeep(value);
  if (deep !== undefined) return `${shortPointer(deep)}: nested deeper than ${MAX_JSON_DEPTH} levels`;
  const validate = validators[type];
  if (!validate || validate(value)) return undefined;
  const p = schemaProblem(validate.errors ?? []);
  return p.path ? `${p.path}: ${p.message}` : p.message;
}
