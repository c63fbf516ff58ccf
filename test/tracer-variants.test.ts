// Per-kernel tracer variants and truthful load errors, on this machine's
// kernel: the hook plan covers every program, a variant forced onto a kernel
// it does not fit is refused by the verifier and reported as that (program,
// kernel, complaint), costing only its own figures; a process without
// CAP_BPF/CAP_PERFMON gets the privilege message instead. The other kernels'
// variants run in the kernel matrix (npm run test:kernels).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { DoctorReport } from '../tracers/doctor.js';
import { finalSummary, LOAD, ndjson, ROOT, runCli } from './support.js';

const FORCED = { ...process.env, URINGSCOPE_TRACER_VARIANT: 'on_complete_args' };

describe('tracer hook plan', () => {
  test('every program of bpf/tracer.bpf.c has a known hook, and one variant per hook runs', async () => {
    const r = await runCli(['doctor', '--json']);
    const d = JSON.parse(r.stdout) as DoctorReport;
    expect(d.figures).toBeDefined();
    for (const [name, f] of Object.entries(d.figures!)) {
      expect([name, f.measured, f.reason]).toEqual([name, true, undefined]);
    }
    // An unknown program would be its own figure (named like the program).
    expect(Object.keys(d.figures!).filter((n) => n.startsWith('on_'))).toEqual([]);
    expect(d.figures!.submitted.programs).toHaveLength(1);
    expect(d.figures!.completed.programs).toHaveLength(1);
  });
});

describe('a variant that does not fit this kernel', () => {
  test('doctor: the verifier refusal is named as such, only its figures are missing, strategies still run', async () => {
    const r = await runCli(['doctor', '--json'], { env: FORCED });
    const d = JSON.parse(r.stdout) as DoctorReport;
    const tracer = d.checks.find((c) => c.id === 'tracer')!;
    expect(tracer.status).toBe('ok');
    for (const figure of ['completed', 'latency']) {
      const f = d.figures![figure];
      expect(f.measured).toBe(false);
      expect(f.reason).toMatch(/^the verifier of Linux \S+ refused on_complete_args: .*io_uring_complete.* (argument|arg)/);
      expect(f.reason).not.toMatch(/Permission denied|CAP_BPF|root/);
    }
    expect(d.figures!.submitted.measured).toBe(true);
    expect(d.figures!.failLinks.measured).toBe(true);
    expect(d.strategies.link.ok && d.strategies.user.ok).toBe(true);
    expect(d.checks.find((c) => c.id === 'figures')!.status).toBe('warn');
  });

  test('trace: the rest is measured exactly, the absent figures are left out of the JSON and listed', async () => {
    const n = 300;
    const r = await runCli(['trace', '--json', '--', LOAD, 'chains', String(n)], { env: FORCED });
    expect(r.code).toBe(0);
    const s = finalSummary(r.stdout);
    expect(Object.keys(s.absent ?? {}).sort()).toEqual(['completed', 'latency']);
    expect(s.requests.READ).toEqual({ submitted: n });
    expect(s.requests.NOP).toEqual({ submitted: 2 * n });
    expect(s.failLinks).toBe(2 * n);
    expect(s.enter.calls).toBeGreaterThan(0);
    // Intervals say the same.
    const intervals = ndjson(r.stdout).filter((o) => o.type === 'interval');
    for (const i of intervals) expect(Object.keys(i.absent as object).sort()).toEqual(['completed', 'latency']);
    // The table says so in words.
    const t = await runCli(['trace', '--', LOAD, 'chains', '10'], { env: FORCED });
    expect(t.stdout).toMatch(/not measured on this kernel: completed, latency/);
  });
});

describe('missing privileges', () => {
  test('the addon itself reports a privilege problem, not a verifier one', () => {
    // Straight to the addon: the CLI refuses earlier, in JS, on the same caps.
    const script = `
      const a = require(${JSON.stringify(join(ROOT, 'native/build/Release/uringscope.node'))});
      new a.Tracer({}).open().then(() => console.log('LOADED'), (e) => console.log(e.message));`;
    const r = spawnSync('setpriv', [
      '--inh-caps=-sys_admin,-bpf,-perfmon', '--bounding-set=-sys_admin,-bpf,-perfmon', '--',
      process.execPath, '-e', script,
    ], { encoding: 'utf8' });
    expect(r.stdout.trim()).toMatch(/^cannot load the tracer.*: (Operation not permitted|Permission denied)\. Run as root, or grant CAP_BPF and CAP_PERFMON/);
    expect(r.stdout).not.toMatch(/verifier/);
  });
});
