// Schema validators compiled when uringscope is built, not each time it
// starts. ajv turns a schema into a function by generating code and
// evaluating it: for the workload and recording-chunk schemas that took
// about 300 ms of the 800 ms every command spent starting, and ten times as
// long under an emulated CPU. bin/build-validators.ts writes ajv's
// standalone code for each set (https://ajv.js.org/standalone.html) to
// build/validators/NAME.cjs with a digest of its schemas; a module built
// from other schemas than the running code's is refused, never used.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Options, SchemaObject, ValidateFunction } from 'ajv';
import { packageRoot } from './package-root.js';
import { UserError } from './user-error.js';

/** One build/validators/NAME.cjs: the schemas it exports by key, and how ajv compiles them. */
export interface ValidatorSet<K extends string = string> {
  name: string;
  options: Options;
  /** Annotation keywords of our own (no validation code), registered so strict mode accepts them. */
  keywords: string[];
  schemas: Record<K, SchemaObject>;
}

/** The digest a set's module carries: of everything that decides its code. */
export function setDigest(set: ValidatorSet): string {
  return createHash('sha256').update(JSON.stringify([set.options, set.keywords, set.schemas])).digest('hex');
}

export function validatorPath(name: string): string {
  return join(packageRoot(), 'build', 'validators', `${name}.cjs`);
}

/** The compiled validators of `set`, by the keys of its schemas. */
export function compiledValidators<K extends string>(set: ValidatorSet<K>): Record<K, ValidateFunction> {
  const path = validatorPath(set.name);
  if (!existsSync(path)) throw new UserError(`the schema validators are not built (${path} is missing): run \`npm run build\``);
  const mod = createRequire(import.meta.url)(path) as Record<K, ValidateFunction> & { digest?: string };
  if (mod.digest !== setDigest(set)) throw new UserError(`${path} was built from other schemas than this code's: run \`npm run build\``);
  return mod;
}
