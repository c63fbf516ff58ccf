// Writes build/validators/NAME.cjs for each schema set: ajv's standalone
// validation code and the digest of the set it was made from (why:
// core/compiled-validators.ts). `npm run build` runs it after tsc.
// CommonJS because ajv's ESM output still require()s its runtime helpers.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Ajv } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { setDigest, validatorPath, type ValidatorSet } from '../core/compiled-validators.js';
import { chunkValidators } from '../recording/chunk-schema.js';
import { workloadValidators } from '../workloads/schema.js';

function build(set: ValidatorSet): string {
  const ajv = new Ajv({ ...set.options, code: { source: true } });
  for (const keyword of set.keywords) ajv.addKeyword({ keyword, schemaType: 'string' });
  const refs: Record<string, string> = {};
  for (const [key, schema] of Object.entries(set.schemas)) {
    ajv.addSchema(schema, key);
    refs[key] = key;
  }
  return `${standaloneCode.default(ajv, refs)}\nexports.digest = ${JSON.stringify(setDigest(set))};\n`;
}

for (const set of [workloadValidators, chunkValidators] as ValidatorSet[]) {
  const path = validatorPath(set.name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, build(set));
  renameSync(`${path}.tmp`, path);
}
