// The schema validators built with uringscope (build/validators/): used only
// when they were built from the schemas of the running code, and a missing
// or stale build is one line saying how to fix it.
import { existsSync } from 'node:fs';
import { compiledValidators, setDigest, validatorPath } from '../../core/compiled-validators.js';
import { UserError } from '../../core/user-error.js';
import { chunkValidators } from '../../recording/chunk-schema.js';
import { workloadValidators } from '../../workloads/schema.js';

test('each set is built, from the schemas of this code', () => {
  for (const set of [workloadValidators, chunkValidators]) {
    expect(existsSync(validatorPath(set.name))).toBe(true);
    expect(typeof compiledValidators(set)).toBe('object');
  }
  expect(Object.keys(compiledValidators(chunkValidators)).sort()).toEqual(['digest', 'end', 'header', 'interval']);
});

test('the built workload validator checks: a valid and an invalid workload', () => {
  const { workload } = compiledValidators(workloadValidators);
  expect(workload({ name: 'w', description: 'd', steps: [{ op: 'nop' }] })).toBe(true);
  expect(workload({ name: 'w', description: 'd', steps: [{ op: 'nop', typo: 1 }] })).toBe(false);
  expect(workload.errors?.length).toBeGreaterThan(0);
});

test('a schema changed since the build: refused, one line naming the fix', () => {
  const changed = { ...workloadValidators, schemas: { workload: { ...workloadValidators.schemas.workload, maxProperties: 99 } } };
  expect(setDigest(changed)).not.toBe(setDigest(workloadValidators));
  expect(() => compiledValidators(changed)).toThrow(UserError);
  expect(() => compiledValidators(changed)).toThrow(/^\S+workload\.cjs was built from other schemas than this code's: run `npm run build`$/);
});

test('other ajv options than the build\'s: refused', () => {
  expect(() => compiledValidators({ ...chunkValidators, options: { ...chunkValidators.options, verbose: false } })).toThrow(/built from other schemas/);
});

test('a set never built: one line naming the file and the fix', () => {
  expect(() => compiledValidators({ ...workloadValidators, name: 'nonesuch' })).toThrow(
    /^the schema validators are not built \(\S+\/build\/validators\/nonesuch\.cjs is missing\): run `npm run build`$/,
  );
});
