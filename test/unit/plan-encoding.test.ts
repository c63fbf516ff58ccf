// The plan's value encoding end to end: what workloads/plan-text.ts writes
// (through compilePlan and replayPlan, for every string field that reaches
// the plan) read back by the engine's own parser (native/engine/plan.cc,
// built alone as build/unit/plan_parse by `make unit`), byte for byte; and
// the lines that parser must refuse, each naming its line.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReplayStream } from '../../recording/replay-stream.js';
import { compilePlan } from '../../workloads/plan.js';
import { planLine, planValue } from '../../workloads/plan-text.js';
import { replayPlan } from '../../recording/replay-run.js';
import type { WorkloadSpec } from '../../workloads/spec.js';
import { ROOT } from '../support.js';

const PARSER = join(ROOT, 'build', 'unit', 'plan_parse');

interface Parsed {
  error?: string;
  strategy: string;
  chains: string;
  rate: number;
  targets: { name: string; kind: string; path: string; content: string; size: string; seed: string }[];
  steps: { op: number; fd: number; len: number; fdFrom: number; expect: number[] }[];
  policy: { name: string; bpf: string; native: string };
  replay: string;
}

const unhex = (h: string) => Buffer.from(h, 'hex').toString('utf8');

/** The engine parser's reading of `plan` (strings decoded from the harness's hex); `dir` adds checkScratchFiles. */
function parse(plan: string, dir?: string): Parsed {
  const r = spawnSync(PARSER, dir === undefined ? [] : [dir], { input: plan, encoding: 'utf8' });
  expect(r.status).toBe(0);
  const p = JSON.parse(r.stdout) as Parsed;
  if (p.error !== undefined) return { error: unhex(p.error) } as Parsed;
  for (const t of p.targets) for (const k of ['name', 'kind', 'path', 'content'] as const) t[k] = unhex(t[k]);
  p.policy = { name: unhex(p.policy.name), bpf: unhex(p.policy.bpf), native: unhex(p.policy.native) };
  p.replay = unhex(p.replay);
  return p;
}

const FORGED = 'target name=zz kind=file size=4096 content=zero direct=0 seed=1 path=/d/victim.txt';
/** Strings that broke, or could break, a line-based plan: a forged line, spaces, =, %, #, CR, tabs, non-ASCII, every byte 1-255. */
const HOSTILE = [
  `/d/X\n${FORGED}`,
  `/d/a\r\n${FORGED}\n#`,
  '/d/with space/and=equals/100%/%41/#hash',
  '/d/tab\there/\u001b[31mred/\u007f',
  '/d/naïve/日本語/🙂',
  '/' + Array.from({ length: 255 }, (_, i) => String.fromCharCode(i + 1)).join(''),
];

test('the harness is built (`make unit`, part of `make all`)', () => expect(existsSync(PARSER)).toBe(true));

describe('planValue', () => {
  test('safe bytes stand for themselves', () => expect(planValue('/tmp/uringscope-run-AbC123/in_1,x~')).toBe('/tmp/uringscope-run-AbC123/in_1,x~'));
  test('every other byte is %XX of its UTF-8', () => {
    expect(planValue('a b\nc=d%e#')).toBe('a%20b%0Ac%3Dd%25e%23');
    expect(planValue('é')).toBe('%C3%A9');
  });
  test('an encoded value holds no space, newline, = or byte outside the safe set', () => {
    for (const s of HOSTILE) expect(planValue(s)).toMatch(/^[A-Za-z0-9\-._~/,%]*$/);
  });
  test('planLine encodes strings, writes numbers in decimal, leaves out undefined', () => {
    expect(planLine('target', { name: 'a', size: 5, seed: 2n ** 63n, records: undefined, path: '/x y' })).toBe(
      'target name=a size=5 seed=9223372036854775808 path=/x%20y',
    );
  });
});

describe('round trip through the engine parser', () => {
  const spec = (path: string): WorkloadSpec => ({
    name: 'n', description: 'd',
    targets: { out: { kind: 'file', size: 4096 }, in: { kind: 'path', path } },
    steps: [{ op: 'read', target: 'in', len: 5, expect: ['EAGAIN', 'ETIME'] }, { op: 'write', target: 'out', len: 5 }],
  });
  const policyBuild = (s: string) => ({ name: s, source: '/src.c', bpfObject: `${s}/policy.bpf.o`, nativeObject: `${s}/policy.so` });

  test.each(HOSTILE.map((s, i) => [i, s]))('workload run, hostile string %i: path target, scratch dir, policy name and objects', (_i, s) => {
    const plan = compilePlan(spec(s), { strategy: 'user', policyBuild: policyBuild(s) }, s);
    expect(plan.split('\n').filter((l) => l.startsWith('target'))).toHaveLength(2); // no forged line
    const p = parse(plan, s);
    expect(p.error).toBeUndefined();
    expect(p.targets.map((t) => [t.name, t.kind, t.path])).toEqual([['out', 'file', join(s, 'out')], ['in', 'path', s]]);
    expect(p.policy).toEqual({ name: s, bpf: `${s}/policy.bpf.o`, native: `${s}/policy.so` });
    expect(p.steps.map((t) => t.expect)).toEqual([[11, 62], []]);
  });

  test.each(HOSTILE.map((s, i) => [i, s]))('replay, hostile string %i: table, scratch files, policy', (_i, s) => {
    const stream = { chains: 3, concurrency: 2, bufferBytes: 8192, targets: [{ size: 10 }, { size: 20 }] } as unknown as ReplayStream;
    const p = parse(replayPlan(stream, s, { strategy: 'bpf', policyBuild: policyBuild(s) }), s);
    expect(p.error).toBeUndefined();
    expect(p.replay).toBe(join(s, 'replay.bin'));
    expect(p.targets.map((t) => [t.name, t.path, t.size])).toEqual([['file0', join(s, 'file0'), '10'], ['file1', join(s, 'file1'), '20']]);
    expect(p.policy.name).toBe(s);
  });

  test('every golden plan parses', () => {
    const dir = join(ROOT, 'test', 'unit', 'golden');
    for (const f of readdirSync(dir)) expect({ f, error: parse(readFileSync(join(dir, f), 'utf8'), '/scratch').error }).toEqual({ f, error: undefined });
  });
});

describe('the engine parser refuses, naming the line', () => {
  const HEAD = 'run strategy=user chains=1\nstep op=0\n';
  const cases: [string, string, RegExp][] = [
    ['a path that runs on after a space (the old format)', 'target name=a kind=path path=/a b', /^plan line 3: field 4 is not key=value$/],
    ['a raw newline-forged line is just a bad item', 'target name=a kind=path path=/a\n/b', /^plan line 4: unknown item "\/b"$/],
    ['a raw carriage return (whitespace: splits the word)', 'target name=a kind=path path=/a\rb', /^plan line 3: field 4 is not key=value$/],
    ['a raw control byte', 'target name=a kind=path path=/a\u0001b', /^plan line 3: path= does not decode: byte 0x01 at byte 2 is not %-encoded$/],
    ['a raw non-ASCII byte', 'target name=a kind=path path=/é', /^plan line 3: path= does not decode: byte 0xc3 at byte 1 is not %-encoded$/],
    ['a raw =', 'target name=a kind=path path=/a=b', /^plan line 3: path= does not decode: byte 0x3d/],
    ['a truncated escape', 'target name=a kind=path path=/a%0', /^plan line 3: path= does not decode: a % not followed by two hex digits at byte 2$/],
    ['a bad escape', 'target name=a kind=path path=/a%zz', /^plan line 3: path= does not decode: a % not followed/],
    ['%00', 'target name=a kind=path path=/a%00b', /^plan line 3: path= does not decode: %00/],
    ['a key given twice', 'target name=a kind=path path=/a path=/b', /^plan line 3: path= given twice$/],
    ['an odd key', 'target Name=a', /^plan line 3: field 1 is not key=value$/],
    ['text for a number', 'target name=a kind=file size=abc', /^plan line 3: size= is not a whole number that fits \(got "abc"\)$/],
    ['a number with a tail', 'target name=a kind=file size=12k', /^plan line 3: size= is not a whole number/],
    ['a negative count', 'target name=a kind=file size=-1', /^plan line 3: size= is not a whole number/],
    ['a u64 past 2^64-1', 'target name=a kind=file seed=18446744073709551616', /^plan line 3: seed= is not a whole number/],
    ['hex (the plan writes decimal)', 'target name=a kind=file size=0x10', /^plan line 3: size= is not a whole number/],
    ['a u8 past 255', 'step op=256', /^plan line 3: op= is not a whole number/],
    ['a flag other than 0 or 1', 'target name=a kind=file direct=2', /^plan line 3: direct= is not a whole number/],
    ['a bad errno in a list', 'step op=0 expect=11,x', /^plan line 3: expect= is not a whole number/],
    ['a bad signed number', 'step op=0 fd_from=--1', /^plan line 3: fd_from= is not a whole number/],
    ['a rate that is not a number', 'run strategy=user rate=fast', /^plan line 3: rate= is not a number/],
  ];
  test.each(cases)('%s', (_what, line, re) => expect(parse(HEAD + line + '\n').error).toMatch(re));
});

describe('file targets only in the plan directory (checkScratchFiles)', () => {
  const plan = (name: string, path: string) => `run strategy=user\nstep op=0\n${planLine('target', { name, kind: 'file', size: 0, path })}\n`;
  test('DIR/NAME is taken', () => expect(parse(plan('in', '/run/d/in'), '/run/d').error).toBeUndefined());
  test.each([
    ['elsewhere', 'in', '/etc/victim'],
    ['in a subdirectory', 'in', '/run/d/x/in'],
    ['a name with a slash', 'x/in', '/run/d/x/in'],
    ['a name that climbs', '..', '/run/d/..'],
  ])('%s is refused', (_w, name, path) => expect(parse(plan(name, path), '/run/d').error).toMatch(/^plan: file target ".*" is not \/run\/d\/NAME/));
  test('a path target may be anywhere (it is only read)', () => {
    expect(parse(`run strategy=user\nstep op=0\n${planLine('target', { name: 'in', kind: 'path', path: '/etc/passwd' })}\n`, '/run/d').error).toBeUndefined();
  });
});
