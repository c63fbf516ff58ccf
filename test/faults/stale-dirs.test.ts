// Run directories record their owner (pid + start time): the next run's
// start and `doctor --fix` remove those whose owner is gone (a dead pid, or
// a pid now used by another process) and keep the others; a directory
// uringscope did not make (no mkdtemp name, no owner file) is never touched,
// whatever its age. doctor lists the stale ones as a warning, never as
// something a strategy lacks.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DoctorReport } from '../../tracers/doctor.js';
import { processStartTime } from '../../workloads/run-dir.js';
import { runCli } from '../support.js';
import { runDirsIn } from './support.js';

let scratch: string;
beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'uringscope-stale-'));
});
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

/** A pid no process has now: one that just exited (and was reaped). */
function deadPid(): number {
  return spawnSync('true').pid!;
}

function runDir(name: string, owner?: string, ageS = 0): string {
  const dir = join(scratch, `uringscope-run-${name}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'plan.txt'), 'run strategy=link\n');
  if (owner !== undefined) writeFileSync(join(dir, 'owner'), owner);
  if (ageS) {
    const t = new Date(Date.now() - ageS * 1000);
    utimesSync(dir, t, t);
  }
  return dir;
}

/**
 * Ours with a dead owner, a reused pid or a live owner; ours being set up
 * (no owner yet: the owner is written just after mkdtemp); and what is not
 * ours whatever its age: a mkdtemp-like name with no owner file (anyone may
 * make one), one whose "owner" is a FIFO (never opened: it would block),
 * and names mkdtemp never gives (the user's uringscope-run-results, even
 * with an owner file naming a dead pid).
 */
function makeDirs(): void {
  runDir('dead01', `${deadPid()} 12345\n`);
  runDir('reused', `${process.pid} ${processStartTime(process.pid)! + 1}\n`);
  runDir('alive1', `${process.pid} ${processStartTime(process.pid)}\n`);
  runDir('fresh1');
  runDir('legacy', undefined, 600);
  const fifo = runDir('fifo01', undefined, 600);
  execFileSync('mkfifo', [join(fifo, 'owner')]);
  userDir(scratch);
  runDir('notmkdtemp', `${deadPid()} 12345\n`, 600);
}

/** A directory of the user's that happens to start like ours, old and with a file in it. */
function userDir(parent: string): string {
  const dir = join(parent, 'uringscope-run-results');
  mkdirSync(dir);
  writeFileSync(join(dir, 'notes.txt'), 'x\n');
  const t = new Date(Date.now() - 2 * 3600 * 1000);
  utimesSync(dir, t, t);
  return dir;
}

const STALE = ['uringscope-run-dead01', 'uringscope-run-reused'];
const KEPT = ['uringscope-run-alive1', 'uringscope-run-fifo01', 'uringscope-run-fresh1', 'uringscope-run-legacy', 'uringscope-run-notmkdtemp', 'uringscope-run-results'];

test('the next run start removes the directories whose owner is gone, and keeps the others', async () => {
  makeDirs();
  const r = await runCli(['run', 'nop-chain', '--chains', '10', '--scratch', scratch]);
  expect(r.code).toBe(0);
  expect(runDirsIn(scratch).sort()).toEqual(KEPT);
});

describe('a directory of the user\'s named uringscope-run-results, two hours old, is never touched', () => {
  test('--scratch: the run uses its own directory next to it', async () => {
    const dir = userDir(scratch);
    const r = await runCli(['run', 'short-read', '--chains', '10', '--scratch', scratch]);
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('x\n');
  });

  test('TMPDIR', async () => {
    const dir = userDir(scratch);
    const r = await runCli(['run', 'short-read', '--chains', '10'], { env: { ...process.env, TMPDIR: scratch } });
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('x\n');
    expect(runDirsIn(scratch)).toEqual(['uringscope-run-results']);
  });
});

describe('doctor', () => {
  const env = () => ({ ...process.env, TMPDIR: scratch, NO_COLOR: '1' });

  test('reports stale directories as a warning (not a blocker); --fix removes them, and only them', async () => {
    makeDirs();
    let r = await runCli(['doctor', '--json'], { env: env() });
    expect(r.code).toBe(0);
    let d = JSON.parse(r.stdout) as DoctorReport;
    let c = d.checks.find((x) => x.id === 'stale_runs')!;
    expect(c.status).toBe('warn');
    expect(c.items!.map((p) => p.slice(scratch.length + 1)).sort()).toEqual(STALE);
    expect(d.strategies).toEqual({ link: { ok: true }, user: { ok: true }, bpf: { ok: true, path: 'map-backed-sqpoll' } });
    expect(runDirsIn(scratch)).toHaveLength(STALE.length + KEPT.length); // doctor alone removes nothing

    r = await runCli(['doctor', '--fix'], { env: env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/stale run directories\s+ok\s+removed 2 in /);
    expect(runDirsIn(scratch).sort()).toEqual(KEPT);

    r = await runCli(['doctor', '--json'], { env: env() });
    d = JSON.parse(r.stdout) as DoctorReport;
    c = d.checks.find((x) => x.id === 'stale_runs')!;
    expect([c.status, c.items]).toEqual(['ok', []]);
  });
});
