// Checks the schema cannot express: what each op needs, references between
// steps and to targets, buffer bounds, files that must exist. They run on a
// document the schema accepted, and report the first problem in document
// order (targets, then steps).
import { accessSync, constants, statSync, type Stats } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { controlChar } from './control-chars.js';
import { fsReason, show, type Problem } from './problem.js';
import { MAX_BUFFER_BYTES, MIN_RATE } from './schema.js';
import type { FileTarget, StepOp, StepSpec, TargetSpec, WorkloadSpec } from './spec.js';

const NEEDS_NO_TARGET: ReadonlySet<StepOp> = new Set(['nop', 'timeout']);
const MOVES_DATA: ReadonlySet<StepOp> = new Set(['read', 'write', 'readv', 'writev', 'send', 'recv']);
const READS: ReadonlySet<StepOp> = new Set(['read', 'readv']);
const WRITES: ReadonlySet<StepOp> = new Set(['write', 'writev']);

function* fileProblems(at: string, t: FileTarget): Generator<Problem> {
  const content = t.content ?? 'zero';
  if (t.records && content !== 'records') {
    yield { path: `${at}/records`, message: `only for content "records" (content is "${content}")` };
  }
  if (content === 'records' && !t.records) {
    yield { path: at, message: 'content "records" needs "records": {"count": N, "maxBody": N}' };
  }
  if (t.records) {
    // record i sits at i * (4 + maxBody): the file must hold every slot
    const need = t.records.count * (4 + t.records.maxBody);
    if (t.size < need) {
      yield { path: `${at}/size`, message: `${t.records.count} records of up to ${t.records.maxBody} bytes need ${need} bytes (got ${t.size})` };
    }
  }
}

/** What kind of file a stat says it is, for a message. */
function fileKind(st: Stats): string {
  if (st.isDirectory()) return 'EISDIR (is a directory)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Why `path` cannot be a path target, or undefined if it can. Relative paths
 * are taken from the current directory, as the engine opens them.
 * Only regular files: the engine checksums every file target to its end
 * after the run, and a character device (/dev/zero) has no end, so that read
 * spun forever with SIGINT ignored; a FIFO blocks the open until a writer
 * comes, and a block device would be read whole. None of the step rules
 * (EOF stops a chain, short reads continue) mean anything for them either.
 */
function unreadable(path: string): string | undefined {
  try {
    accessSync(path, constants.R_OK);
    const st = statSync(path);
    return st.isFile() ? undefined : `${fileKind(st)}: a path target must be a regular file`;
  } catch (e) {
    return fsReason(e);
  }
}

function* targetProblems(targets: Record<string, TargetSpec>): Generator<Problem> {
  for (const [name, t] of Object.entries(targets)) {
    const at = `/targets/${name}`;
    if (t.kind === 'file') yield* fileProblems(at, t);
    if (t.kind === 'path') {
      // Before the file system is asked: the path is refused whatever it names (control-chars.ts).
      const c = controlChar(t.path);
      if (c) {
        yield { path: `${at}/path`, message: `has ${c}: a path target must have no control characters (0x00-0x1f, 0x7f)` };
        continue;
      }
      const why = unreadable(t.path);
      if (why) yield { path: `${at}/path`, message: `cannot read ${t.path}: ${why}` };
    }
  }
}

/** An op the target cannot do; each would otherwise fail at run time with a bare errno. */
function opMismatch(op: StepOp, name: string, kind: TargetSpec['kind'], end: string | undefined): string | undefined {
  if ((op === 'send' || op === 'recv') && kind !== 'socketpair' && kind !== 'tcp') {
    return `op "${op}" needs a socketpair or tcp endpoint ("${name}" is a ${kind})`;
  }
  if ((op === 'fsync' || op === 'openat') && kind !== 'file' && kind !== 'path') return `op "${op}" needs a file ("${name}" is a ${kind})`;
  if (WRITES.has(op) && kind === 'path') return `op "${op}" cannot write to "${name}": path targets are opened read-only`;
  if (kind === 'pipe' && READS.has(op) && end === 'a') return `"${name}.a" is the write end of the pipe: read from "${name}.b"`;
  if (kind === 'pipe' && WRITES.has(op) && end === 'b') return `"${name}.b" is the read end of the pipe: write to "${name}.a"`;
  return undefined;
}

function* targetRefProblems(targets: Record<string, TargetSpec>, s: StepSpec, ref: string, at: string): Generator<Problem> {
  const path = `${at}/target`;
  // target names have no dots (schema), so the first dot starts an endpoint suffix
  const dot = ref.indexOf('.');
  const name = dot < 0 ? ref : ref.slice(0, dot);
  const end = dot < 0 ? undefined : ref.slice(dot + 1);
  if (!Object.hasOwn(targets, name)) {
    const names = Object.keys(targets);
    yield { path, message: `no target named ${show(name)} (${names.length ? `targets: ${names.join(', ')}` : 'no targets are defined'})` };
    return;
  }
  const t = targets[name];
  if (t.kind === 'file' || t.kind === 'path') {
    if (end !== undefined) yield { path, message: `"${name}" is a ${t.kind} target: name it without a suffix ("${name}")` };
  } else if (end !== 'a' && end !== 'b') {
    yield { path, message: `"${name}" is a ${t.kind}: name one of its endpoints, "${name}.a" or "${name}.b" (got ${show(ref)})` };
  }
  const mismatch = opMismatch(s.op, name, t.kind, end);
  if (mismatch) yield { path, message: mismatch };
}

/** Lengths and offsets taken from other steps must come from steps that ran before. */
function* referenceProblems(steps: StepSpec[], i: number): Generator<Problem> {
  const s = steps[i];
  const at = `/steps/${i}`;
  const earlier = (k: number, path: string): Problem[] =>
    k < i ? [] : [{ path, message: i === 0 ? `must refer to an earlier step, and step 0 has none (got ${k})` : `must refer to an earlier step, below ${i} (got ${k})` }];
  if (s.len === 'previous' && i === 0) yield { path: `${at}/len`, message: '"previous" needs an earlier step' };
  if (typeof s.len === 'object') yield* earlier(s.len.header.step, `${at}/len/header/step`);
  if (typeof s.offset === 'object' && 'sameAs' in s.offset) yield* earlier(s.offset.sameAs, `${at}/offset/sameAs`);
  if (s.offset === 'continue' && !steps.slice(0, i).some((p) => p.target === s.target && p.fdFrom === s.fdFrom)) {
    yield { path: `${at}/offset`, message: `"continue" needs an earlier step on target ${show(s.target)}` };
  }
}

/** fdFrom names an earlier openat; a step takes its fd from a target or from there, not both. */
function* fdFromProblems(steps: StepSpec[], i: number): Generator<Problem> {
  const s = steps[i];
  const at = `/steps/${i}`;
  if (s.op === 'close' && s.fdFrom === undefined) yield { path: at, message: 'op "close" needs "fdFrom": the openat step whose fd it closes' };
  if (s.fdFrom === undefined) return;
  if (s.target !== undefined) yield { path: at, message: 'give "target" or "fdFrom", not both' };
  if (s.op === 'openat') yield { path: `${at}/fdFrom`, message: 'openat opens a target: it takes no "fdFrom"' };
  const k = s.fdFrom;
  if (k >= i) yield { path: `${at}/fdFrom`, message: `must refer to an earlier step, below ${i} (got ${k})` };
  else if (steps[k].op !== 'openat') yield { path: `${at}/fdFrom`, message: `step ${k} is a ${steps[k].op}, not an openat` };
}

function* stepProblems(spec: WorkloadSpec, i: number): Generator<Problem> {
  const s = spec.steps[i];
  const at = `/steps/${i}`;
  yield* fdFromProblems(spec.steps, i);
  if (s.target !== undefined) yield* targetRefProblems(spec.targets ?? {}, s, s.target, at);
  else if (!NEEDS_NO_TARGET.has(s.op) && s.fdFrom === undefined) yield { path: at, message: `op "${s.op}" needs a "target"` };
  if (MOVES_DATA.has(s.op) && s.len === undefined) yield { path: at, message: `op "${s.op}" needs a "len"` };
  if (s.op === 'timeout' && s.timeoutNs === undefined) yield { path: at, message: 'op "timeout" needs a "timeoutNs"' };
  yield* referenceProblems(spec.steps, i);
  if (MOVES_DATA.has(s.op) && typeof s.len === 'number') {
    const end = (s.bufOffset ?? 0) + s.len;
    // without bufferBytes the buffer is sized for the largest step, which must still fit the engine's
    const limit = spec.bufferBytes ?? MAX_BUFFER_BYTES;
    if (end > limit) {
      const what = spec.bufferBytes !== undefined ? `bufferBytes ${limit}` : `the largest chain buffer, ${limit} bytes`;
      yield { path: at, message: `bufOffset ${s.bufOffset ?? 0} + len ${s.len} = ${end} is past ${what}` };
    }
  }
  for (const [j, errno] of (s.expect ?? []).entries()) {
    if (!Object.hasOwn(osConstants.errno, errno)) yield { path: `${at}/expect/${j}`, message: `unknown errno name ${show(errno)}` };
  }
}

/** Run-wide fields with a rule a JSON Schema bound cannot say (0 is special for rate). */
function* runProblems(spec: WorkloadSpec): Generator<Problem> {
  if (spec.rate !== undefined && spec.rate > 0 && spec.rate < MIN_RATE) {
    yield { path: '/rate', message: `must be 0 (as fast as possible) or at least ${MIN_RATE} chains per second (got ${spec.rate})` };
  }
}

function* problems(spec: WorkloadSpec): Generator<Problem> {
  yield* targetProblems(spec.targets ?? {});
  for (let i = 0; i < spec.steps.length; i++) yield* stepProblems(spec, i);
  yield* runProblems(spec);
}

/** The first problem the schema could not catch, or undefined if there is none. */
export function semanticProblem(spec: WorkloadSpec): Problem | undefined {
  for (const p of problems(spec)) return p;
  return undefined;
}
