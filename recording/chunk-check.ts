// Checks the JSON chunks of a recording as they are read: nesting depth
// first (ajv's validators recurse, and so do some readers), then the schema
// of the chunk's kind (chunk-schema.ts). Every reader of a recording gets
// values of the shape format.ts declares, or one line saying what is wrong.
import type { ValidateFunction } from 'ajv';
import { compiledValidators } from '../core/compiled-validators.js';
import { MAX_JSON_DEPTH, shortPointer, tooDeep } from '../workloads/json-depth.js';
import { schemaProblem } from '../workloads/schema-errors.js';
import { chunkValidators } from './chunk-schema.js';
import { ChunkType } from './format.js';

/** The chunk type each schema of chunkValidators checks. */
const SCHEMA_OF: Record<number, keyof typeof chunkValidators.schemas> = {
  [ChunkType.HEADER]: 'header',
  [ChunkType.INTERVAL]: 'interval',
  [ChunkType.END]: 'end',
};

let compiled: Record<keyof typeof chunkValidators.schemas, ValidateFunction> | undefined;

/** Whether chunks of this type hold JSON (the others are skipped or binary). */
export function isJsonChunk(type: number): boolean {
  return type in SCHEMA_OF;
}

/**
 * What is wrong with the parsed JSON of a chunk of `type`, as
 * "/pointer: message", or undefined when it has the shape the writer writes.
 */
export function chunkProblem(type: number, value: unknown): string | undefined {
  const deep = tooDeep(value);
  if (deep !== undefined) return `${shortPointer(deep)}: nested deeper than ${MAX_JSON_DEPTH} levels`;
  const key = SCHEMA_OF[type];
  if (key === undefined) return undefined;
  compiled ??= compiledValidators(chunkValidators); // built with uringscope, read on the first chunk
  const validate = compiled[key];
  if (validate(value)) return undefined;
  const p = schemaProblem(validate.errors ?? []);
  return p.path ? `${p.path}: ${p.message}` : p.message;
}
