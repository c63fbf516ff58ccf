// Workload files: every built-in is valid, and every mistake is reported as
// one line naming the file, the JSON path and what was expected.
import { userErrorOf } from './user-error.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { UserError } from '../../core/user-error.js';
import { builtinDir, listWorkloads } from '../../workloads/catalog.js';
import { loadWorkloadFile, parseWorkload, withDefaults } from '../../workloads/load.js';
import type { FileTarget, StepSpec, TargetSpec, WorkloadSpec } from '../../workloads/spec.js';

const FILE = 'bad.json';

function doc(steps: unknown[], extra: Record<string, unknown> = {}): string {
  const spec = { name: 'bad', description: 'a test', targets: { in: { kind: 'file', size: 100 } }, steps, ...extra };
  return JSON.stringify(spec, null, 2);
}

const read = (more: Partial<StepSpec> = {}): StepSpec => ({ op: 'read', target: 'in', len: 4, ...more });

/** The UserError message `parseWorkload` throws for `text`; fails the test if it does not throw one. */
function errorOf(text: string, source = FILE): string {
  return userErrorOf(() => parseWorkload(text, source), 'parseWorkload');
}

describe('built-in workloads', () => {
  const builtins = listWorkloads([]);

  test('all seven are there, each valid with a one-line description', () => {
    expect(builtins.map((w) => w.name).sort()).toEqual(
      ['copy', 'echo', 'echo-tcp', 'header-body', 'nop-chain', 'open-read-close', 'retry', 'short-read'],
    );
    for (const w of builtins) {
      expect(w.source).toBe('builtin');
      expect(w.error).toBeUndefined();
      expect(w.path).toBe(join(builtinDir(), `${w.name}.json`));
      const spec = loadWorkloadFile(w.path);
      expect(spec.name).toBe(basename(w.path, '.json'));
      expect(spec.description).toMatch(/^[^\n]{10,120}$/);
      expect(w.description).toBe(spec.description);
    }
  });

  function builtin(name: string): WorkloadSpec {
    return loadWorkloadFile(join(builtinDir(), `${name}.json`));
  }
  const file = (t: TargetSpec | undefined): FileTarget => {
    expect(t?.kind).toBe('file');
    return t as FileTarget;
  };

  test('each exercises its case', () => {
    expect(builtin('nop-chain').steps).toEqual(Array(8).fill({ op: 'nop' }));

    const short = builtin('short-read');
    expect(file(short.targets?.in).size % 4096).not.toBe(0);
    expect(short.steps.map((s) => s.offset)).toEqual([0, 'continue', 'continue', 'continue']);

    const hb = builtin('header-body');
    const rec = file(hb.targets?.in);
    expect(rec.size).toBe(rec.records!.count * (4 + rec.records!.maxBody));
    expect(hb.chains).toBe(rec.records!.count);
    expect(hb.steps[1].len).toEqual({ header: { step: 0, at: 0 } });

    const copy = builtin('copy');
    const src = file(copy.targets?.src);
    expect(copy.chains).toBe(Math.ceil(src.size / 65536));
    expect(src.size % 65536).not.toBe(0);
    expect(copy.steps[1]).toMatchObject({ op: 'write', target: 'dst', len: 'previous', offset: { sameAs: 0 } });

    expect(builtin('echo').targets?.sock?.kind).toBe('socketpair');
    expect(builtin('echo-tcp').targets?.sock?.kind).toBe('tcp');
    expect(builtin('retry').steps[0]).toMatchObject({ op: 'timeout', expect: ['ETIME'] });
  });
});

describe('bad workload files: one line naming the file, the place and what was expected', () => {
  test('JSON syntax errors give the line and column', () => {
    expect(errorOf('{\n  "name": "x",\n  "steps": [ reed ]\n}')).toBe(`${FILE}: invalid JSON at line 3 column 14: Unexpected token 'r'`);
    expect(errorOf('{\n  "name": "x",\n}')).toBe(`${FILE}: invalid JSON at line 3 column 1: Expected double-quoted property name`);
    expect(errorOf('{"name": "x"')).toMatch(new RegExp(`^${FILE}: invalid JSON at line 1 column 13: `));
    // a token near the end, quoted by V8 with context before it only
    expect(errorOf('{"name": "a long enough name", "x": tru}')).toBe(`${FILE}: invalid JSON at line 1 column 40: Unexpected token '}'`);
    expect(errorOf('// no comments in JSON\n{}')).toBe(`${FILE}: invalid JSON at line 1 column 1: Unexpected token '/'`);
  });

  test('an unknown op lists the ops', () => {
    expect(errorOf(doc([read(), { op: 'reed' }]))).toBe(
      `${FILE}: /steps/1/op: must be one of nop, read, write, readv, writev, send, recv, timeout, poll, fsync, openat, close (got "reed")`,
    );
  });

  test('fdFrom: close needs it, it names an earlier openat, and not with a target', () => {
    const open = { op: 'openat', target: 'in' };
    expect(errorOf(doc([open, { op: 'close' }]))).toBe(`${FILE}: /steps/1: op "close" needs "fdFrom": the openat step whose fd it closes`);
    expect(errorOf(doc([read(), { op: 'close', fdFrom: 0 }]))).toBe(`${FILE}: /steps/1/fdFrom: step 0 is a read, not an openat`);
    expect(errorOf(doc([open, { op: 'read', len: 4, fdFrom: 1 }]))).toBe(`${FILE}: /steps/1/fdFrom: must refer to an earlier step, below 1 (got 1)`);
    expect(errorOf(doc([open, { op: 'read', target: 'in', len: 4, fdFrom: 0 }]))).toBe(`${FILE}: /steps/1: give "target" or "fdFrom", not both`);
    expect(parseWorkload(doc([open, { op: 'read', len: 4, fdFrom: 0 }, { op: 'close', fdFrom: 0 }]), FILE).steps).toHaveLength(3);
  });

  test('a negative size', () => {
    expect(errorOf(doc([read()], { targets: { in: { kind: 'file', size: -5 } } }))).toBe(`${FILE}: /targets/in/size: must be >= 0 (got -5)`);
  });

  test('a number past the largest double (1e400, read as Infinity): out of range, not "(got null)"', () => {
    const range = 'number out of range: past ±1.7976931348623157e+308, the largest a JSON number can be, so it reads as';
    expect(errorOf(doc([read()]).replace('"size": 100', '"size": -1e400'))).toBe(`${FILE}: /targets/in/size: ${range} -Infinity`);
    expect(errorOf(doc([read()]).replace('"len": 4', '"len": 1e400'))).toBe(`${FILE}: /steps/0/len: ${range} Infinity`);
    expect(errorOf(doc([read()], { chains: 1 }).replace('"chains": 1', '"chains": 1e999'))).toBe(`${FILE}: /chains: ${range} Infinity`);
    // where a word is wanted, the type says enough
    expect(errorOf(doc([read()]).replace('"name": "bad"', '"name": 1e400'))).toBe(`${FILE}: /name: must be a string (got Infinity)`);
  });

  test('an unknown property, at any depth', () => {
    expect(errorOf(doc([{ op: 'read', target: 'in', lenght: 4 }]))).toBe(`${FILE}: /steps/0: unknown property "lenght"`);
    expect(errorOf(doc([read()], { chain: 5 }))).toBe(`${FILE}: unknown property "chain"`);
    expect(errorOf(doc([read()], { ring: { entires: 64 } }))).toBe(`${FILE}: /ring: unknown property "entires"`);
  });

  test('length and offset rules: the error of the form that was meant, or the forms', () => {
    expect(errorOf(doc([read({ len: -4 })]))).toBe(`${FILE}: /steps/0/len: must be >= 0 (got -4)`);
    expect(errorOf(doc([read({ len: 1.5 })]))).toBe(`${FILE}: /steps/0/len: must be an integer (got 1.5)`);
    expect(errorOf(doc([read({ len: 'prev' as 'previous' })]))).toBe(
      `${FILE}: /steps/0/len: must be a number of bytes, "previous" or {"header": {"step": N, "at": N}} (got "prev")`,
    );
    expect(errorOf(doc([read(), read({ len: { header: { step: -1 } } })]))).toBe(`${FILE}: /steps/1/len/header/step: must be >= 0 (got -1)`);
    expect(errorOf(doc([read({ offset: { perChain: 4, base: -1 } })]))).toBe(`${FILE}: /steps/0/offset/base: must be >= 0 (got -1)`);
    expect(errorOf(doc([read({ offset: { perchain: 4 } as never })]))).toBe(
      `${FILE}: /steps/0/offset: must be a number, "continue", {"perChain": N, "base": N} or {"sameAs": STEP} (got {"perchain":4})`,
    );
  });

  test('a step naming a target that does not exist', () => {
    expect(errorOf(doc([read(), read(), { op: 'write', target: 'out', len: 4 }]))).toBe(
      `${FILE}: /steps/2/target: no target named "out" (targets: in)`,
    );
  });

  test('endpoints: NAME.a / NAME.b for sockets and pipes, plain names for files', () => {
    const sock = { targets: { in: { kind: 'file', size: 100 }, s: { kind: 'socketpair' } } };
    expect(errorOf(doc([{ op: 'send', target: 's', len: 4 }], sock))).toBe(
      `${FILE}: /steps/0/target: "s" is a socketpair: name one of its endpoints, "s.a" or "s.b" (got "s")`,
    );
    expect(errorOf(doc([read({ target: 'in.a' })]))).toBe(`${FILE}: /steps/0/target: "in" is a file target: name it without a suffix ("in")`);
    expect(errorOf(doc([{ op: 'send', target: 'in', len: 4 }]))).toBe(
      `${FILE}: /steps/0/target: op "send" needs a socketpair or tcp endpoint ("in" is a file)`,
    );
  });

  test('an op without what it needs', () => {
    expect(errorOf(doc([{ op: 'read', len: 4 }]))).toBe(`${FILE}: /steps/0: op "read" needs a "target"`);
    expect(errorOf(doc([{ op: 'read', target: 'in' }]))).toBe(`${FILE}: /steps/0: op "read" needs a "len"`);
    expect(errorOf(doc([{ op: 'timeout' }]))).toBe(`${FILE}: /steps/0: op "timeout" needs a "timeoutNs"`);
  });

  test('references to a later step (or to none)', () => {
    expect(errorOf(doc([read(), read({ len: { header: { step: 3 } } })]))).toBe(
      `${FILE}: /steps/1/len/header/step: must refer to an earlier step, below 1 (got 3)`,
    );
    expect(errorOf(doc([read(), read({ offset: { sameAs: 1 } })]))).toBe(
      `${FILE}: /steps/1/offset/sameAs: must refer to an earlier step, below 1 (got 1)`,
    );
    expect(errorOf(doc([read({ len: 'previous' })]))).toBe(`${FILE}: /steps/0/len: "previous" needs an earlier step`);
    expect(errorOf(doc([read({ offset: 'continue' })]))).toBe(`${FILE}: /steps/0/offset: "continue" needs an earlier step on target "in"`);
  });

  test('a path target that cannot be read', () => {
    const missing = join(tmpdir(), 'uringscope-no-such-file');
    expect(errorOf(doc([read()], { targets: { in: { kind: 'path', path: missing } } }))).toBe(
      `${FILE}: /targets/in/path: cannot read ${missing}: ENOENT (no such file)`,
    );
  });

  test('empty steps, and too many', () => {
    expect(errorOf(doc([]))).toBe(`${FILE}: /steps: must have at least 1 item (got 0)`);
    expect(errorOf(doc(Array(17).fill({ op: 'nop' })))).toBe(`${FILE}: /steps: must have at most 16 items (got 17)`);
  });

  test('buffers, records, errno names, ring size, target names', () => {
    expect(errorOf(doc([read({ len: 400, bufOffset: 200 })], { bufferBytes: 512 }))).toBe(
      `${FILE}: /steps/0: bufOffset 200 + len 400 = 600 is past bufferBytes 512`,
    );
    expect(errorOf(doc([read()], { targets: { in: { kind: 'file', size: 100, records: { count: 1, maxBody: 1 } } } }))).toBe(
      `${FILE}: /targets/in/records: only for content "records" (content is "zero")`,
    );
    expect(errorOf(doc([read({ expect: ['ETIMEOUT'] })]))).toBe(`${FILE}: /steps/0/expect/0: unknown errno name "ETIMEOUT"`);
    expect(errorOf(doc([read({ expect: ['etime'] })]))).toBe(`${FILE}: /steps/0/expect/0: must be an errno name such as "ETIME" (got "etime")`);
    expect(errorOf(doc([read()], { ring: { entries: 65536 } }))).toBe(`${FILE}: /ring/entries: must be <= 32768 (got 65536)`);
    expect(errorOf(doc([read()], { targets: { in: { kind: 'sock' } } }))).toBe(
      `${FILE}: /targets/in/kind: must be one of file, path, socketpair, tcp, pipe (got "sock")`,
    );
    expect(errorOf(doc([read()], { targets: { 'in.x': { kind: 'file', size: 1 } } }))).toMatch(
      new RegExp(`^${FILE}: /targets: name "in.x" must be made of letters`),
    );
  });

  test('the whole document: not an object, or missing a required field', () => {
    expect(errorOf('[]')).toBe(`${FILE}: must be an object (got [])`);
    expect(errorOf('{"name": "x", "description": "y"}')).toBe(`${FILE}: missing required property "steps"`);
  });

  describe('files', () => {
    let dir: string;
    beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'uringscope-test-'))));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    test('a missing file', () => {
      const path = join(dir, 'nope.json');
      expect(() => loadWorkloadFile(path)).toThrow(new UserError(`cannot read workload file ${path}: ENOENT (no such file)`, 2));
    });

    test('errors name the file by the path given', () => {
      const path = join(dir, 'x.json');
      writeFileSync(path, doc([{ op: 'reed' }]));
      expect(() => loadWorkloadFile(path)).toThrow(new RegExp(`^${path}: /steps/0/op: must be one of `));
    });
  });
});

describe('withDefaults', () => {
  const spec = parseWorkload(
    doc([read(), { op: 'nop', onError: 'skip', retries: 7 }], { targets: { in: { kind: 'file', size: 100 }, p: { kind: 'pipe' } }, chains: 5 }),
    FILE,
  );

  test('fills every default', () => {
    const d = withDefaults(spec);
    expect(d).toMatchObject({ chains: 5, concurrency: 16, rate: 0, ring: { entries: 256 } });
    expect(d.targets).toEqual({ in: { kind: 'file', size: 100, content: 'zero' }, p: { kind: 'pipe' } });
    expect(d.steps[0]).toEqual({ ...read(), bufOffset: 0, onShort: 'continue', onZero: 'stop', onError: 'fail', retries: 3 });
    expect(d.steps[1]).toEqual({ op: 'nop', bufOffset: 0, onShort: 'continue', onZero: 'stop', onError: 'skip', retries: 7 });
  });

  test('keeps what the spec sets and does not touch the spec', () => {
    const before = JSON.stringify(spec);
    const d = withDefaults({ ...spec, chains: undefined, ring: { entries: 8, sqpoll: true } });
    expect(d.chains).toBe(1000);
    expect(d.ring).toEqual({ entries: 8, sqpoll: true });
    expect(JSON.stringify(spec)).toBe(before);
    expect(withDefaults({ name: 'n', description: 'd', steps: [{ op: 'nop' }] }).targets).toEqual({});
  });
});
