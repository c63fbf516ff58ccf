// `run` when things go wrong: targets that cannot be created leave nothing
// behind and say why in one line; Ctrl-C cancels what is in flight, reaps
// it, removes the scratch files and still reports.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kernelGate } from './kernel-gate.js';
import { collect, finalSummary, runCli, startCli, waitFor, type CliResult } from './support.js';

const gate = await kernelGate();

function oneLine(r: CliResult): string {
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  return lines[0];
}

describe('run: targets that cannot be created', () => {
  const base = mkdtempSync(join(tmpdir(), 'uringscope-run-errors-'));
  const small = join(base, 'small');
  const ro = join(base, 'ro');

  beforeAll(() => {
    mkdirSync(small);
    mkdirSync(ro);
    // A 256 KiB filesystem: the 1 MB copy source cannot be written (ENOSPC).
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', small]);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=64k', 'tmpfs', ro]);
  });
  afterAll(() => {
    for (const d of [small, ro]) execFileSync('umount', [d]);
    rmSync(base, { recursive: true, force: true });
  });

  test('no space for the scratch files: refused before anything is written, one line naming the target, exit 2', async () => {
    // The free space is checked first (workloads/run-fit.ts): the engine no longer fills the disk to find out.
    const r = await runCli(['run', 'copy', '--scratch', small]);
    expect(r.code).toBe(2);
    expect(oneLine(r)).toMatch(/^uringscope: .*builtin\/copy\.json: \/targets\/src\/size: the scratch file needs 1\.0 MiB \(size 1000000\) but .*small has 0\.\d MiB free/);
    expect(readdirSync(small)).toEqual([]);
  });

  test('a read-only directory: one line, exit 1, nothing created', async () => {
    const r = await runCli(['run', 'copy', '--scratch', ro]);
    expect(r.code).toBe(1);
    expect(oneLine(r)).toMatch(/cannot create a scratch directory in .*ro: EROFS/);
    expect(readdirSync(ro)).toEqual([]);
  });

  // What we make in TMPDIR (the run directory, the compiled-policy cache)
  // goes into directories of our own; TMPDIR itself is the user's, never created.
  describe('a TMPDIR that cannot be used: one line naming it, the errno and TMPDIR, exit 73, nothing created', () => {
    const env = (dir: string) => ({ env: { ...process.env, TMPDIR: dir } });
    const missing = join(base, 'nonexistent-tmp');

    test('read-only (EROFS): the policy cache, the run directory', async () => {
      let r = await runCli(['run', 'nop-chain', '--strategy', 'user', '--policy', 'nop-chain', '--chains', '10'], env(ro));
      expect([r.code, oneLine(r)]).toEqual([73, expect.stringMatching(/^uringscope: cannot create the compiled-policy cache in TMPDIR .*\/ro: EROFS \(read-only file system\); set TMPDIR to a writable directory$/)]);
      r = await runCli(['run', 'nop-chain', '--chains', '10'], env(ro));
      expect([r.code, oneLine(r)]).toEqual([73, expect.stringMatching(/^uringscope: cannot create the run directory in TMPDIR .*\/ro: EROFS \(read-only file system\); set TMPDIR to a writable directory$/)]);
      expect(readdirSync(ro)).toEqual([]);
    });

    test('missing (ENOENT): refused, and not created', async () => {
      for (const args of [['run', 'nop-chain', '--strategy', 'user', '--policy', 'nop-chain', '--chains', '10'], ['run', 'short-read', '--chains', '10']]) {
        const r = await runCli(args, env(missing));
        expect([args, r.code, oneLine(r)]).toEqual([args, 73, expect.stringMatching(/^uringscope: cannot create the (compiled-policy cache|run directory) in TMPDIR .*\/nonexistent-tmp: ENOENT \(no such directory\); set TMPDIR to a writable directory$/)]);
        expect(existsSync(missing)).toBe(false);
      }
    });
  });

  test('bad workload names and files: one line, exit 2', async () => {
    let r = await runCli(['run', 'no-such-workload']);
    expect(r.code).toBe(2);
    expect(oneLine(r)).toMatch(/no workload named "no-such-workload"/);
    r = await runCli(['run', join(base, 'missing.json')]);
    expect(r.code).toBe(2);
    expect(oneLine(r)).toMatch(/cannot read workload file .*missing\.json: ENOENT/);
  });
});

describe('run: Ctrl-C', () => {
  gate.testEach(['user', 'link', 'bpf'])('%s: in-flight requests are cancelled and reaped, scratch removed, summary printed', async (strategy) => {
    const scratch = mkdtempSync(join(tmpdir(), 'uringscope-ctrlc-'));
    try {
      // echo chains block in recv until their send lands: there is always something in flight.
      const t = startCli(['run', 'echo', '--strategy', strategy, '--duration', '60', '--json', '--interval', '100', '--scratch', scratch]);
      const done = collect(t);
      let out = '';
      t.stdout!.on('data', (d) => (out += d));
      await waitFor(() => out.includes('"type":"interval"'), 'the run to be going');
      t.kill('SIGINT');
      const r = await done;
      expect(r.code).toBe(0);
      const s = finalSummary(r.stdout);
      const e = s.engine as { stopReason: string; chains: number; chainsFailed: number };
      expect(e.stopReason).toBe('signal');
      expect(e.chains).toBeGreaterThan(0);
      expect(e.chainsFailed).toBe(0);
      // every request the kernel was given came back
      for (const [op, c] of Object.entries(s.requests)) expect([op, c.completed]).toEqual([op, c.submitted]);
      expect(readdirSync(scratch)).toEqual([]);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
