// `doctor` on this machine: every check present, everything docs/kernels.md
// says this kernel has is found, the tracer really loads, exit 0.
import { expectNoTracer, runCli } from './support.js';
import type { DoctorReport } from '../tracers/doctor.js';

test('doctor --json reports this kernel as able to run every strategy', async () => {
  const r = await runCli(['doctor', '--json']);
  expect(r.code).toBe(0);
  const d = JSON.parse(r.stdout) as DoctorReport;
  const byId = Object.fromEntries(d.checks.map((c) => [c.id, c]));
  for (const id of ['kernel', 'privileges', 'tracefs', 'btf', 'lockdown', 'io_uring', 'tracepoints', 'ring', 'sqpoll', 'no_mmap', 'tracer']) {
    expect([id, byId[id]?.status]).toEqual([id, 'ok']);
  }
  // 6.18 predates the upstream io_uring bpf-ops (7.1): reported, not fatal.
  expect(byId.bpf_ops.status).toBe('warn');
  expect(byId.lockdown.detail).toBe('integrity');
  expect(d.strategies).toEqual({ link: { ok: true }, user: { ok: true }, bpf: { ok: true, path: 'map-backed-sqpoll' } });
  await expectNoTracer();
});

test('doctor (human) lists each check with its state', async () => {
  const r = await runCli(['doctor'], { env: { ...process.env, NO_COLOR: '1' } });
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/IORING_SETUP_NO_MMAP \| NO_SQARRAY\s+ok/);
  expect(r.stdout).toMatch(/bpf-ops.*warn/);
  expect(r.stdout).not.toMatch(/\x1b\[/);
});
