// Run directories record their owner (pid + start time): the next run's
// start and `doctor --fix` remove those whose owner is gone (a dead pid, or
// a pid now used by another process) and keep the others. doctor lists
// them as a warning, never as something a strategy lacks.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
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

/** The four kinds: dead owner, reused pid, live owner, and an old one with no owner (an earlier uringscope's). */
function makeDirs(): void {
  runDir('dead', `${deadPid()} 12345\n`);
  runDir('reused', `${process.pid} ${processStartTime(process.pid)! + 1}\n`);
  runDir('alive', `${process.pid} ${processStartTime(process.pid)}\n`);
  runDir('legacy', undefined, 600);
  runDir('fresh'); // no owner yet, just made: being set up right now
}

const KEPT = ['uringscope-run-alive', 'uringscope-run-fresh'];

test('the next run start removes the directories whose owner is gone, and keeps the others', async () => {
  makeDirs();
  const r = await runCli(['run', 'nop-chain', '--chains', '10', '--scratch', scratch]);
  expect(r.code).toBe(0);
  expect(runDirsIn(scratch).sort()).toEqual(KEPT);
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
    expect(c.items!.map((p) => p.slice(scratch.length + 1)).sort()).toEqual(['uringscope-run-dead', 'uringscope-run-legacy', 'uringscope-run-reused']);
    expect(d.strategies).toEqual({ link: { ok: true }, user: { ok: true }, bpf: { ok: true, path: 'map-backed-sqpoll' } });
    expect(runDirsIn(scratch)).toHaveLength(5); // doctor alone removes nothing

    r = await runCli(['doctor', '--fix'], { env: env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/stale run directories\s+ok\s+removed 3 in /);
    expect(runDirsIn(scratch).sort()).toEqual(KEPT);

    r = await runCli(['doctor', '--json'], { env: env() });
    d = JSON.parse(r.stdout) as DoctorReport;
    c = d.checks.find((x) => x.id === 'stale_runs')!;
    expect([c.status, c.items]).toEqual(['ok', []]);
  });
});
