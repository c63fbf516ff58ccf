// Picks the one ajv error worth showing and words it. ajv (allErrors) reports
// every failure, and for a `oneOf` one failure per branch plus the oneOf
// itself; the user wants the one that explains their mistake:
//  - the deepest path wins: `/steps/0/len/header/step` says more than `/steps/0/len`;
//  - inside a failed oneOf, branches whose type or constant the value does
//    not have are not what the author meant (a -5 length meant a number, not
//    "previous"); if one branch remains, or one fits clearly best, its error
//    is shown, otherwise the oneOf's `expected` wording lists the forms.
import type { ErrorObject } from 'ajv';
import { show, type Problem } from './problem.js';
import { MAX_EXACT, TARGET_KINDS } from './schema.js';

type AjvError = ErrorObject<string, Record<string, unknown>, unknown>;

interface Found extends Problem {
  depth: number;
}

/** Keywords whose error names a property of the object at instancePath: one level deeper. */
const NAMES_PROPERTY = new Set(['required', 'additionalProperties', 'discriminator']);

function depth(e: AjvError): number {
  const d = e.instancePath.split('/').length - 1;
  return NAMES_PROPERTY.has(e.keyword) ? d + 1 : d;
}

function article(type: unknown): string {
  return /^[aeiou]/.test(String(type)) ? `an ${type}` : `a ${type}`;
}

function describe(e: AjvError): Problem {
  const at = e.instancePath;
  const p = e.params;
  const got = ` (got ${show(e.data)})`;
  const expected = (e.parentSchema as { expected?: string } | undefined)?.expected;
  if (e.propertyName !== undefined) return { path: at, message: `name ${show(e.propertyName)} must be ${expected}` };
  // JSON.parse reads a number past the largest double (1e400) as Infinity: the
  // schema's complaint ("must be an integer") would not say why. (Where a
  // string or a word is wanted, "must be a string (got Infinity)" says enough.)
  const wantsNumber = e.keyword === 'type' ? /integer|number/.test(String(p.type)) : ['maximum', 'minimum', 'exclusiveMaximum', 'exclusiveMinimum', 'multipleOf'].includes(e.keyword);
  if (typeof e.data === 'number' && !Number.isFinite(e.data) && wantsNumber) {
    return { path: at, message: `number out of range: past ±${Number.MAX_VALUE}, the largest a JSON number can be, so it reads as ${e.data}` };
  }
  switch (e.keyword) {
    case 'required':
      return { path: at, message: `missing required property "${p.missingProperty}"` };
    case 'additionalProperties':
      return { path: at, message: `unknown property "${p.additionalProperty}"` };
    case 'discriminator': {
      const tag = String(p.tag);
      const value = (e.data as Record<string, unknown>)[tag];
      if (value === undefined) return { path: at, message: `missing required property "${tag}"` };
      return { path: `${at}/${tag}`, message: `must be one of ${TARGET_KINDS.join(', ')} (got ${show(value)})` };
    }
  }
  if (expected) return { path: at, message: `must be ${expected}${got}` };
  switch (e.keyword) {
    case 'enum':
      return { path: at, message: `must be one of ${(p.allowedValues as unknown[]).join(', ')}${got}` };
    case 'type':
      return { path: at, message: `must be ${article(p.type)}${got}` };
    case 'maximum':
      // above 2^53 the number read is not the number written: say so, not just "<= 9007199254740991"
      if (p.limit === MAX_EXACT) return { path: at, message: `must be an exact integer, at most 2^53-1 = ${MAX_EXACT} (JSON numbers above it are rounded)${got}` };
      return { path: at, message: `must be ${p.comparison} ${p.limit}${got}` };
    case 'minimum':
      return { path: at, message: `must be ${p.comparison} ${p.limit}${got}` };
    case 'minItems':
    case 'maxItems': {
      const bound = e.keyword === 'minItems' ? 'at least' : 'at most';
      const n = Number(p.limit);
      return { path: at, message: `must have ${bound} ${n} item${n === 1 ? '' : 's'} (got ${(e.data as unknown[]).length})` };
    }
    case 'minLength':
      return { path: at, message: 'must not be empty' };
  }
  return { path: at, message: `${e.message ?? 'is not valid'}${got}` };
}

/** Whether `e` is an error inside one of the branches of the oneOf error `o`. */
function owns(o: AjvError, e: AjvError): boolean {
  return (
    e !== o &&
    e.schemaPath.startsWith(o.schemaPath + '/') &&
    (e.instancePath === o.instancePath || e.instancePath.startsWith(o.instancePath + '/'))
  );
}

function fromOneOf(o: AjvError, inner: AjvError[]): Found {
  const prefix = o.schemaPath + '/';
  const branches = new Map<string, AjvError[]>();
  for (const e of inner) {
    const i = e.schemaPath.slice(prefix.length).split('/')[0];
    branches.set(i, [...(branches.get(i) ?? []), e]);
  }
  // 1.5 for an integer is the right kind of value, wrongly given: not a mismatch
  const fractional = (e: AjvError) => e.params.type === 'integer' && typeof e.data === 'number';
  const mismatch = (i: string, e: AjvError) =>
    e.instancePath === o.instancePath &&
    ((e.schemaPath === `${prefix}${i}/type` && !fractional(e)) || e.schemaPath === `${prefix}${i}/const`);
  const meant = [...branches]
    .filter(([i, errs]) => !errs.some((e) => mismatch(i, e)))
    .map(([, errs]) => ({ errs, depth: Math.max(...errs.map(depth)) }))
    .sort((a, b) => b.depth - a.depth || a.errs.length - b.errs.length);
  const [best, next] = meant;
  if (best && (!next || best.depth > next.depth || best.errs.length < next.errs.length)) return pick(best.errs);
  return { ...describe(o), depth: depth(o) };
}

function pick(errors: AjvError[]): Found {
  const oneOfs = errors.filter((e) => e.keyword === 'oneOf');
  const found = errors
    // propertyNames repeats what its inner error (which names the property) says
    .filter((e) => e.keyword !== 'propertyNames' && !oneOfs.some((o) => owns(o, e)))
    .map((e) => (e.keyword === 'oneOf' ? fromOneOf(e, errors.filter((x) => owns(e, x))) : { ...describe(e), depth: depth(e) }));
  return found.reduce((a, b) => (b.depth > a.depth ? b : a));
}

/** The single most useful problem among ajv's errors (which must not be empty). */
export function schemaProblem(errors: readonly ErrorObject[]): Problem {
  const { path, message } = pick(errors as AjvError[]);
  return { path, message };
}
