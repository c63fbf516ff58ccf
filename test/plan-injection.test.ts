// A path with a newline in it must not forge lines of the engine's plan.
// Each way a path reaches the plan (a workload's path target, --scratch,
// TMPDIR for run and replay, the --policy file's name, the policy cache
// under TMPDIR) is given `…\ntarget name=zz kind=file … path=VICTIM`, which,
// read as a line of the plan, would make the engine create (O_TRUNC) and then
// unlink VICTIM as root: each is refused with one line and exit 2, and
// VICTIM keeps its inode and content. The engine itself, handed a plan with
// such a path (the CLI's checks bypassed), reads it as one path; and a path
// target is only ever opened read-only (a run on a read-only mount succeeds).
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { compilePlan } from '../workloads/plan.js';
import { loadWorkloadFile } from '../workloads/load.js';
import { ROOT, finalSummary, runCli, scratchDir } from './support.js';
import type { WorkloadSpec } from '../workloads/spec.js';

const base = scratchDir();
const victim = join(base, 'victim.txt');
const FORGED = `target name=zz kind=file size=4096 content=zero direct=0 seed=1 path=${victim}`;
/** A directory whose path ends one plan line and forges the next; `#` makes the rest of its line a comment. */
const evilDir = join(base, `a\n${FORGED}\n#`);
let victimIno = 0;

/** A workload file in `base`. */
function workload(name: string, spec: Record<string, unknown>): string {
  const p = join(base, `${name}.json`);
  writeFileSync(p, JSON.stringify({ name, description: 'plan injection', chains: 2, concurrency: 1, ...spec }));
  return p;
}
/** One scratch file: its path (under --scratch or TMPDIR) reaches the plan. */
const scratchWorkload = () => workload('scratch', { targets: { in: { kind: 'file', size: 4096 } }, steps: [{ op: 'read', target: 'in', len: 4096 }] });

function expectVictimUntouched(): void {
  const st = statSync(victim);
  expect({ ino: st.ino, text: readFileSync(victim, 'utf8') }).toEqual({ ino: victimIno, text: 'original\n' });
}

async function expectRefused(args: string[], re: RegExp, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const r = await runCli(args, { env, cwd: base });
  const lines = r.stderr.replace(/\n$/, '').split('\n');
  expect({ args, code: r.code, lines }).toEqual({ args, code: 2, lines: [expect.stringMatching(re)] });
  expect(r.stderr).not.toMatch(/Error:|\n\s+at |internal error/);
  expectVictimUntouched();
}

beforeAll(() => mkdirSync(evilDir, { recursive: true }));
// Each case has its victim afresh: one that clobbers it does not fail the next.
beforeEach(() => {
  writeFileSync(victim, 'original\n');
  victimIno = statSync(victim).ino;
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('a path target with a forged plan line in it', () => {
  // `${base}/X` and the file the whole path names both exist, so before the fix the run succeeded.
  const evilPath = join(base, `X\n${FORGED}`);
  let file = '';
  beforeAll(() => {
    writeFileSync(join(base, 'X'), 'hello');
    mkdirSync(dirname(evilPath), { recursive: true });
    writeFileSync(evilPath, 'hello');
    file = workload('inject', { targets: { in: { kind: 'path', path: evilPath } }, steps: [{ op: 'read', target: 'in', len: 5 }] });
  });
  const re = /^uringscope: .*inject\.json: \/targets\/in\/path: has a newline \(0x0a\) at character \d+: a path target must have no control characters/;

  test('workloads --validate reports it', () => expectRefused(['workloads', '--validate', file], re));
  test('run refuses it: the victim is neither created nor removed', () => expectRefused(['run', file, '-s', 'user'], re));

  test('the engine, given that path in a plan (the CLI checks bypassed), reads it as one path and only reads it', () => {
    const run = mkdtempSync(join(base, 'uringscope-run-'));
    const spec: WorkloadSpec = {
      name: 'n', description: 'd',
      targets: { in: { kind: 'path', path: evilPath }, out: { kind: 'file', size: 0 } },
      steps: [{ op: 'read', target: 'in', len: 5 }, { op: 'write', target: 'out', len: 5 }],
      chains: 2, concurrency: 1,
    };
    const plan = join(run, 'plan.txt');
    writeFileSync(plan, compilePlan(spec, { strategy: 'user' }, run));
    const before = statSync(evilPath);
    const r = spawnSync(join(ROOT, 'build', 'uringscope-engine'), [plan], { encoding: 'utf8' });
    const last = JSON.parse(r.stdout.trim().split('\n').pop()!) as { type: string; chains: number; chainsFailed: number };
    expect({ status: r.status, type: last.type, chains: last.chains, chainsFailed: last.chainsFailed }).toEqual({ status: 0, type: 'engine', chains: 2, chainsFailed: 0 });
    expectVictimUntouched();
    const after = statSync(evilPath);
    expect({ ino: after.ino, mtime: after.mtimeMs, text: readFileSync(evilPath, 'utf8') }).toEqual({ ino: before.ino, mtime: before.mtimeMs, text: 'hello' });
    expect(readdirSync(run).sort()).toEqual(['plan.txt']); // the scratch file `out` was made and removed there
  });
});

describe('a scratch directory with a forged plan line in it', () => {
  const tmpdirRe = /^uringscope: TMPDIR \(.*\) has a newline \(0x0a\) at character \d+: give a path without control characters/;
  const scratchRe = /^uringscope: --scratch has a newline \(0x0a\) at character \d+: give a path without control characters/;
  const env = { ...process.env, TMPDIR: evilDir };

  test('run --scratch', () => expectRefused(['run', scratchWorkload(), '-s', 'user', '--scratch', evilDir], scratchRe));
  test('run under TMPDIR', () => expectRefused(['run', scratchWorkload(), '-s', 'user'], tmpdirRe, env));
  test('run --policy under TMPDIR (the compiled policy is cached there and named in the plan)', () =>
    expectRefused(['run', scratchWorkload(), '-s', 'user', '--policy', 'nop-chain', '--scratch', base], tmpdirRe, env));

  describe('replay (its table and scratch files go there)', () => {
    let rec = '';
    beforeAll(async () => {
      rec = join(base, 'scratch.usrec');
      const r = await runCli(['record', '-o', rec, '--events', scratchWorkload(), '-s', 'user', '--scratch', base]);
      expect(r.code).toBe(0);
    });
    test('replay --scratch', () => expectRefused(['replay', rec, '-s', 'user', '--scratch', evilDir], scratchRe));
    test('replay under TMPDIR', () => expectRefused(['replay', rec, '-s', 'user'], tmpdirRe, env));
  });
});

test('a --policy file with a forged plan line in its name (the name goes into the plan)', async () => {
  // A file name holds no slash: the forged line names the victim relative to the engine's cwd (the CLI's, `base`).
  const policy = join(base, `p\n${FORGED.replace(victim, 'victim.txt')}\n#.c`);
  copyFileSync(join(ROOT, 'bpf', 'policies', 'nop-chain.c'), policy);
  await expectRefused(['run', scratchWorkload(), '-s', 'user', '--policy', policy, '--scratch', base], /^uringscope: --policy has a newline \(0x0a\) at character \d+: give a path without control characters/);
});

describe('a path target is opened read-only, never created, written or removed', () => {
  const ro = join(base, 'ro');
  beforeAll(() => {
    mkdirSync(ro);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', ro]);
    writeFileSync(join(ro, 'in'), 'x'.repeat(8192));
    execFileSync('mount', ['-o', 'remount,ro', ro]);
  });
  afterAll(() => execFileSync('umount', [ro]));

  test('on a read-only mount (EROFS for any write access) a run reads it through its fd and through openat', async () => {
    const file = workload('readonly', {
      targets: { in: { kind: 'path', path: join(ro, 'in') } },
      steps: [
        { op: 'read', target: 'in', len: 4096 },
        { op: 'openat', target: 'in' },
        { op: 'read', fdFrom: 1, len: 4096, offset: 4096 },
        { op: 'close', fdFrom: 1 },
      ],
    });
    expect(loadWorkloadFile(file).targets?.in.kind).toBe('path');
    const r = await runCli(['run', file, '-s', 'user', '--json', '--scratch', base]);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    const e = finalSummary(r.stdout, r.stderr).engine!;
    expect({ chains: e.chains, chainsFailed: e.chainsFailed, bytes: e.bytes }).toEqual({ chains: 2, chainsFailed: 0, bytes: 2 * 8192 });
    expect(readFileSync(join(ro, 'in'), 'utf8')).toBe('x'.repeat(8192));
  });
});
