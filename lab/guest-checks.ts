// The kernel matrix's checks, run on one kernel (inside a lab guest, see
// scripts/kernel-lab.sh, or on this machine): doctor, the chain helper's exact
// counts, fio's total_ios, every built-in workload under every strategy the
// kernel can run (identical steps, bytes and checksums), and nothing of ours
// left loaded. Writes results.json to $LAB_OUT (or the directory given) and
// ends with the "N passed, M failed" line; exit 0 only when all passed.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DoctorReport } from '../tracers/doctor.js';
import { contextOf, lab, type Check } from './checks/context.js';
import { doctor } from './checks/doctor.js';
import { engineChecks } from './checks/engine.js';
import { engineOpsChecks } from './checks/engine-ops.js';
import { expectEq, summaryOf } from './checks/expect.js';
import { policyChecks } from './checks/policies.js';
import { loopStepPrograms, noProgramsWithin, ourPrograms } from './checks/programs.js';
import { tracerChecks } from './checks/tracer.js';
import { uringscope as runCli } from './checks/uringscope.js';
import { guestSysctls } from './guest-sysctls.js';
import type { KernelResult, CheckResult } from './results.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const cli = join(root, 'dist/bin/uringscope.js');

const uringscope = (args: string[], timeoutMs?: number) => runCli(root, cli, args, timeoutMs);

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
  const runChecks = async (list: Check[]) => {
    for (const c of list) if (c.when?.(ctx) ?? true) await check(c.name, () => c.run(ctx));
  };
  await runChecks(tracerChecks(ctx));

  await runChecks(engineChecks(ctx));

  await runChecks(policyChecks(ctx));

  await runChecks(engineOpsChecks(ctx));

  // Upstream io_uring bpf-ops (7.1+): an application's own loop_step drives its ring.
  const bpfOps = report?.checks.find((c) => c.id === 'bpf_ops');
  if (bpfOps?.detail.startsWith('present')) {
    await check('bpf-ops: an application ring driven by its own loop_step, traced from outside', async () => {
      const n = 2000;
      // Held 1 s after its loop, as a long-running application: the tracer finds its program meanwhile.
      const r = await uringscope(['trace', '--json', '--interval', '200', '--', join(root, 'build/helpers/uring_ops'), String(n), '1000']);
      expectEq('exit status', r.code, 0);
      const s = summaryOf(r.stdout);
      expectEq('NOP submitted/completed', [s.requests.NOP?.submitted, s.requests.NOP?.completed], [n, n]);
      expectEq('io_uring_enter calls', s.enter.calls, 1);
      // The tracer's bpf-ops hooks: the NOPs came from the program, one loop run that stopped.
      const steps = Number(/steps=(\d+)/.exec(r.stdout + r.stderr)?.[1]);
      const o = s.bpfOps!;
      expectEq('bpfOps', { ...o, runNs: o.runNs > 0, programs: o.programs.map((p) => p.name) },
        { rings: 1, loopSteps: steps, loopRuns: 1, stops: 1, errors: 0, sqesFromBpf: n, sqesFromUser: 0, runNs: true, programs: ['loop_step'] });
      await noProgramsWithin(10_000, () => ourPrograms().concat(loopStepPrograms()));
      return `${n} NOPs from loop_step (bpfOps.sqesFromBpf), ${steps} loop steps, ${(o.runNs / steps).toFixed(0)} ns/step in BPF, 1 io_uring_enter, detached at exit`;
    });
  }

  if (bpfOps?.detail.startsWith('present')) {
    await check('bpf-ops: recorded, then reported and exported with its bpfOps', async () => {
      const rec = join(scratch, 'ops.usrec');
      const r = await uringscope(['record', '-o', rec, '--force', '--interval', '200', '--', join(root, 'build/helpers/uring_ops'), '2000', '1000']);
      expectEq('record exit status', r.code, 0);
      const rep = await uringscope(['report', rec]);
      const line = rep.stdout.split('\n').find((l) => l.includes('bpf-ops ('));
      if (!line || !/2000, from userspace 0/.test(line)) throw new Error(`report: ${line ?? 'no bpf-ops line'}`);
      const exp = await uringscope(['export', rec, '--format', 'json']);
      const last = summaryOf(exp.stdout);
      expectEq('exported summary bpfOps.sqesFromBpf', last.bpfOps?.sqesFromBpf, 2000);
      return line.trim().replace(/\s+/g, ' ').slice(0, 90);
    });
  }
  if (bpfOps?.detail.startsWith('present')) {
    await check('serve: a bpf-ops ring\'s loop steps and SQEs from BPF in /metrics', async () => {
      const port = 19465;
      const serve = spawn(process.execPath, [cli, 'serve', '--comm', 'uring_ops', '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'], cwd: root });
      try {
        const get = (path: string) => fetch(`http://127.0.0.1:${port}${path}`).then((r) => r.text());
        const ready = () => fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.status === 200, () => false);
        for (const t0 = Date.now(); !(await ready()); ) {
          if (Date.now() - t0 > 60_000) throw new Error('serve not up after 60 s');
          await new Promise((res) => setTimeout(res, 300));
        }
        const n = 1000;
        const app = spawn(join(root, 'build/helpers/uring_ops'), [String(n), '3000'], { stdio: ['ignore', 'pipe', 'ignore'] });
        let out = '';
        app.stdout.on('data', (d) => (out += d));
        let running = true;
        const ended = new Promise((res) => app.on('close', res)).then(() => (running = false));
        // Scraped while it holds after its loop (3 s): serve finds its program then, and the loop is over.
        const value = (body: string, name: string) => Number(body.split('\n').find((l) => l.startsWith(`${name}{`))?.split(' ').pop());
        let body = '';
        while (running) {
          const b = await get('/metrics');
          if (value(b, 'uringscope_bpf_ops_loop_steps_total') > 0) body = b;
          await new Promise((res) => setTimeout(res, 300));
        }
        await ended;
        const steps = Number(/steps=(\d+)/.exec(out)?.[1]);
        expectEq('loop steps, SQEs from BPF', [value(body, 'uringscope_bpf_ops_loop_steps_total'), value(body, 'uringscope_bpf_ops_sqes_total')], [steps, n]);
        return `${steps} loop steps, ${n} SQEs from BPF`;
      } finally {
        serve.kill('SIGKILL');
      }
    });
  }

  await check('no BPF program of ours left loaded', () => noProgramsWithin(10_000));

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
