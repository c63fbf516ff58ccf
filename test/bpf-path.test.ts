// Which path `--strategy bpf` takes (workloads/bpf-path.ts). The ops path
// itself needs Linux 7.1+ and runs in the kernel matrix (lab/checks/engine.ts:
// every built-in under bpf ops and map, identical to link and user); here, on
// a kernel without bpf-ops, the choice and the refusals.
import { opsRefusal } from '../workloads/bpf-path.js';
import { kernelGate } from './kernel-gate.js';
import { finalSummary, runCli } from './support.js';

const gate = await kernelGate();

test('ops is refused on 7.1.0-7.1.4 (CVE-2026-72112) unless forced, and where the kernel has no bpf-ops', () => {
  expect(opsRefusal('7.1.3-amd64', true, false)).toMatch(/CVE-2026-72112.*--force-bpf-ops/);
  expect(opsRefusal('7.1.3-amd64', true, true)).toBeUndefined();
  expect(opsRefusal('7.1.5-amd64', true, false)).toBeUndefined();
  expect(opsRefusal('7.2.13+deb14-amd64', true, false)).toBeUndefined();
  expect(opsRefusal('6.18.44', false, false)).toMatch(/no io_uring bpf-ops.*--bpf-path map/);
});

// Skipped, with doctor's reason, where the kernel has bpf-ops (the kernel
// matrix checks the ops path) or cannot run the bpf strategy at all.
gate.test({ bpfPath: 'map', bpfOps: 'absent' })('without bpf-ops: auto and map run map-backed; ops is refused in one line, exit 69', async () => {
  for (const path of ['auto', 'map']) {
    const r = await runCli(['run', 'nop-chain', '--strategy', 'bpf', '--bpf-path', path, '--chains', '50', '--json']);
    expect(r.code).toBe(0);
    const e = finalSummary(r.stdout).engine as unknown as { chains: number; policy: { path: string; loopSteps?: number } };
    expect([path, e.chains, e.policy.path, e.policy.loopSteps]).toEqual([path, 50, 'map-backed-sqpoll', undefined]);
  }
  const r = await runCli(['run', 'nop-chain', '--strategy', 'bpf', '--bpf-path', 'ops', '--chains', '50']);
  expect(r.code).toBe(69);
  expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^uringscope: --bpf-path ops: this kernel .* has no io_uring bpf-ops/)]);
});

test('run, record and replay take --bpf-path', async () => {
  for (const cmd of ['run', 'record', 'replay']) {
    const r = await runCli([cmd, '--help']);
    expect([cmd, r.stdout]).toEqual([cmd, expect.stringMatching(/--bpf-path[\s\S]*auto/)]);
  }
});
