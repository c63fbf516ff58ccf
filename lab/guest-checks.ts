// The kernel matrix's checks, run on one kernel (inside a lab guest, see
// scripts/kernel-lab.sh, or on this machine): doctor, the chain helper's exact
// counts, fio's total_ios, every built-in workload under every strategy the
// kernel can run (identical steps, bytes and checksums), and nothing of ours
// left loaded. Writes results.json to $LAB_OUT (or the directory given) and
// ends with the "N passed, M failed" line; exit 0 only when all passed.
// The checks themselves are under lab/checks/ (lab/checks/table.ts lists them).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DoctorReport } from '../tracers/doctor.js';
import { contextOf, lab } from './checks/context.js';
import { doctor } from './checks/doctor.js';
import { checksFor } from './checks/table.js';
import { guestSysctls } from './guest-sysctls.js';
import type { KernelResult, CheckResult } from './results.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const checks: CheckResult[] = [];

// For development: GUEST_CHECKS=REGEX runs only the matching checks (doctor always runs: the others depend on it).
const only = process.env.GUEST_CHECKS ? new RegExp(process.env.GUEST_CHECKS) : undefined;

// `--resume`: the matrix booted this kernel again after the guest stalled (see
// lab/matrix.ts); checks the earlier boot finished are kept, not run again.
const resumeFrom = new Map<string, CheckResult>();
// Written after every check, so that a guest that dies mid-way still tells what it found.
let save: () => void = () => {};
// A line at least this often while a check runs: the matrix tells a stalled guest by its silence.
const HEARTBEAT_MS = 30_000;

async function check(name: string, fn: () => Promise<string | void>): Promise<boolean> {
  if (only && name !== 'doctor' && !only.test(name)) return true;
  const earlier = name === 'doctor' ? undefined : resumeFrom.get(name);
  if (earlier) {
    checks.push(earlier);
    process.stdout.write(`${earlier.ok ? 'ok  ' : 'FAIL'} ${name}: (from the boot before) ${earlier.detail}\n`);
    return earlier.ok;
  }
  const t0 = Date.now();
  const beat = setInterval(() => process.stdout.write(`...  ${name}: still running (${Math.round((Date.now() - t0) / 1000)} s)\n`), HEARTBEAT_MS);
  let ok = true;
  let detail = '';
  try {
    detail = (await fn()) ?? '';
  } catch (e) {
    ok = false;
    detail = (e as Error).message;
  } finally {
    clearInterval(beat);
  }
  checks.push({ name, ok, detail, ms: Date.now() - t0 });
  save();
  process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? `: ${detail}` : ''} (${((Date.now() - t0) / 1000).toFixed(1)} s${process.env.LAB_KERNEL ? ', emulated' : ''})\n`);
  return ok;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const outDir = resolve(argv.find((a) => !a.startsWith('--')) ?? process.env.LAB_OUT ?? mkdtempSync(join(tmpdir(), 'uringscope-matrix-')));
  mkdirSync(outDir, { recursive: true });
  const resultsFile = join(outDir, 'results.json');
  if (argv.includes('--resume') && existsSync(resultsFile)) {
    const before = JSON.parse(readFileSync(resultsFile, 'utf8')) as KernelResult;
    for (const c of before.checks) resumeFrom.set(c.name, c);
  }
  if (process.env.LAB_KERNEL) guestSysctls();
  const scratch = mkdtempSync(join(tmpdir(), 'uringscope-matrix-'));
  const result: KernelResult = {
    kernel: release(),
    package: process.env.LAB_KERNEL ?? `this machine (${release()})`,
    emulated: !!process.env.LAB_KERNEL,
    strategies: {},
    checks,
    complete: false,
  };
  save = () => writeFileSync(resultsFile, JSON.stringify(result, null, 2));

  const l = lab(root, scratch);
  let report: DoctorReport | undefined;
  await check('doctor', () => doctor(l, (d) => {
    report = d;
    result.strategies = d.strategies;
    result.figures = d.figures;
  }));
  const ctx = contextOf(l, report);
  for (const c of checksFor(ctx)) await check(c.name, () => c.run(ctx));

  rmSync(scratch, { recursive: true, force: true });
  result.complete = true;
  save();
  const failed = checks.filter((c) => !c.ok).length;
  process.stdout.write(`${release()}: ${checks.length - failed} passed, ${failed} failed\n`);
  process.exitCode = failed ? 1 : 0;
}

main().catch((e) => {
  process.stderr.write(`guest-checks: ${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
});
