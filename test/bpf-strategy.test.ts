// Strategy bpf on the real kernel: the chain policy runs at completion time
// inside the kernel; same results as link and user, and userspace neither
// enters io_uring nor sleeps once per step.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineSummary } from '../core/engine-summary.js';
import type { Summary } from '../tracers/summary.js';
import { MAX_CONCURRENCY } from '../workloads/schema.js';
import { kernelGate } from './kernel-gate.js';
import { finalSummary, loadedPolicyPrograms, runCli, waitFor } from './support.js';

const gate = await kernelGate();
// Every test here but the argument check runs --strategy bpf; the first also
// asserts the map-backed path, which `auto` takes only on a kernel without bpf-ops.
const bpfTest = gate.test({ strategy: 'bpf' });

/** The summary's engine block, with the policy numbers (open in EngineSummary) these tests read. */
type Engine = EngineSummary & { policy?: { stepsFromBpf: number; invocations: number; path: string; userspaceWakeupsPerStep: number } };

const dir = mkdtempSync(join(tmpdir(), 'uringscope-bpf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function workloadFile(name: string, spec: object): string {
  const f = join(dir, `${name}.json`);
  writeFileSync(f, JSON.stringify({ name, ...spec }));
  return f;
}

async function run(w: string, strategy: string, extra: string[] = []): Promise<{ s: Summary; e: Engine; code: number | null; stderr: string }> {
  const r = await runCli(['run', w, '--strategy', strategy, '--json', ...extra]);
  const s = finalSummary(r.stdout, r.stderr);
  return { s, e: s.engine as Engine, code: r.code, stderr: r.stderr };
}

const builtins = ['nop-chain', 'short-read', 'header-body', 'copy', 'echo', 'echo-tcp', 'retry', 'open-read-close'];

describe('bpf strategy', () => {
  gate.test({ bpfPath: 'map' }).each(builtins)('%s: identical results to user; the steps are issued from BPF', async (w) => {
    const bpf = await run(w, 'bpf');
    const user = await run(w, 'user');
    expect(bpf.code).toBe(0);
    expect(bpf.e.chainsFailed).toBe(0);
    for (const k of ['chains', 'steps', 'bytes', 'readChecksum'] as const) expect([k, bpf.e[k]]).toEqual([k, user.e[k]]);
    expect(bpf.e.files).toEqual(user.e.files);
    expect(bpf.e.policy!.stepsFromBpf).toBe(bpf.e.steps);
    expect(bpf.e.policy!.path).toBe('map-backed-sqpoll');
    // The tracer sees the kernel do exactly what the policy says it issued.
    for (const [op, c] of Object.entries(bpf.e.requests)) expect([op, bpf.s.requests[op]?.completed]).toEqual([op, c.completed]);
  });

  const copyBig = () =>
    workloadFile('copy-big', {
      description: 'copy a 40 MB file in 4 KiB chunks: 20,000 steps',
      targets: { src: { kind: 'file', size: 40960000 - 100, content: 'random' }, dst: { kind: 'file', size: 0 } },
      steps: [
        { op: 'read', target: 'src', len: 4096, offset: { perChain: 4096 } },
        { op: 'write', target: 'dst', len: 'previous', offset: { sameAs: 0 } },
      ],
      chains: 10000,
      concurrency: 32,
    });

  bpfTest.each([['short-read'], ['nop-chain'], ['copy-big']])(
    '%s: io_uring_enter calls and voluntary switches of the run thread per step <= 0.05 (tracer)',
    async (w) => {
      const { s, e } = await run(w === 'copy-big' ? copyBig() : w, 'bpf');
      expect(e.steps).toBeGreaterThanOrEqual(10000);
      expect(s.enter.calls / e.steps).toBeLessThanOrEqual(0.05);
      expect(s.ctxSwitches.byThread.app.voluntary / e.steps).toBeLessThanOrEqual(0.05);
      if (w === 'copy-big') expect(e.files!.dst).toEqual(e.files!.src);
      // the same run under `user` enters the kernel at least 10x as often per step
      const u = await run(w === 'copy-big' ? copyBig() : w, 'user');
      expect(u.s.enter.calls / u.e.steps).toBeGreaterThanOrEqual((10 * s.enter.calls) / e.steps);
      expect(u.s.enter.calls).toBeGreaterThan(100);
    },
  );

  bpfTest('stress: 1000 chains in flight with io-wq punted steps, no lost or duplicated step, repeated', async () => {
    const w = workloadFile('async-stress', {
      description: '1000 chains of 4 NOPs forced through io-wq',
      steps: Array.from({ length: 4 }, () => ({ op: 'nop', async: true })),
      chains: 5000,
      concurrency: 1000,
    });
    for (let i = 0; i < 5; i++) {
      const { s, e, code } = await run(w, 'bpf');
      expect(code).toBe(0);
      expect(e.chains).toBe(5000);
      expect(e.steps).toBe(20000);
      expect(e.policy!.stepsFromBpf).toBe(20000);
      expect(s.asyncPunts).toBeGreaterThanOrEqual(20000);
      expect(s.requests.NOP.completed).toBe(20000 + 1000); // + one kick per slot
    }
  });

  bpfTest('SQ full: more chains in flight than SQ entries, steps parked and retried, none lost', async () => {
    const w = workloadFile('sq-full', {
      description: '256 chains in flight on a 16-entry SQ',
      steps: [{ op: 'nop' }, { op: 'nop', async: true }, { op: 'nop' }, { op: 'nop', async: true }],
      chains: 20000,
      concurrency: 256,
      ring: { entries: 16 },
    });
    const { s, e, code } = await run(w, 'bpf');
    expect(code).toBe(0);
    expect(e.chains).toBe(20000);
    expect(e.steps).toBe(80000);
    const p = e.policy as unknown as { sqFullParks: number; unparked: number; stepsFromBpf: number };
    expect(p.sqFullParks).toBeGreaterThan(0);
    expect(p.unparked).toBe(p.sqFullParks);
    expect(p.stepsFromBpf).toBe(80000);
    expect(s.requests.NOP.completed).toBe(e.requests.NOP.completed);
  });

  bpfTest.each(['short-read', 'header-body', 'copy', 'echo', 'open-read-close'])(
    '%s over 2 SQPOLL rings (--rings 2): identical results, every step issued from BPF',
    async (w) => {
      const one = await run(w, 'user');
      const two = await run(w, 'bpf', ['--rings', '2']);
      expect(two.code).toBe(0);
      for (const k of ['chains', 'steps', 'bytes', 'readChecksum'] as const) expect([k, two.e[k]]).toEqual([k, one.e[k]]);
      expect(two.e.files).toEqual(one.e.files);
      expect(two.e.policy!.stepsFromBpf).toBe(two.e.steps);
      for (const [op, c] of Object.entries(two.e.requests)) expect([op, two.s.requests[op]?.completed]).toEqual([op, c.completed]);
    },
  );

  // The unpark scan is a bpf_loop over the slots: its count, the concurrency, is a constant to
  // the verifier, which walks the callback up to that many times unless its iterations
  // converge. They did not once (6.18.44: 100 slots hit the 1M-instruction limit, 1000 the
  // jump-sequence limit), so every size the schema allows is loaded here.
  bpfTest.each([
    ['the interpreter', []],
    ['a C policy', ['--policy', 'nop-chain']],
  ])('%s verifies and runs at 1, 100, 1000 and the largest concurrency', async (_what, extra) => {
    for (const c of [1, 100, 1000, MAX_CONCURRENCY]) {
      const r = await run('nop-chain', 'bpf', [...extra, '--chains', String(c), '--concurrency', String(c)]);
      expect([c, r.code, r.stderr, r.e.chains]).toEqual([c, 0, '', c]);
    }
  });

  bpfTest('2 rings: 1000 chains in flight through io-wq, and a 16-entry SQ per ring that parks, no step lost', async () => {
    const stress = workloadFile('async-stress-2', {
      description: '1000 chains of 4 NOPs forced through io-wq',
      steps: Array.from({ length: 4 }, () => ({ op: 'nop', async: true })),
      chains: 5000,
      concurrency: 1000,
    });
    const a = await run(stress, 'bpf', ['--rings', '2']);
    expect([a.code, a.e.chains, a.e.steps, a.e.policy!.stepsFromBpf]).toEqual([0, 5000, 20000, 20000]);
    const full = workloadFile('sq-full-2', {
      description: '256 chains in flight on two 16-entry SQs',
      steps: [{ op: 'nop' }, { op: 'nop', async: true }, { op: 'nop' }, { op: 'nop', async: true }],
      chains: 20000,
      concurrency: 256,
      ring: { entries: 16 },
    });
    const b = await run(full, 'bpf', ['--rings', '2']);
    expect([b.code, b.e.chains, b.e.steps]).toEqual([0, 20000, 80000]);
    const p = b.e.policy as unknown as { sqFullParks: number; unparked: number };
    expect(p.sqFullParks).toBeGreaterThan(0);
    expect(p.unparked).toBe(p.sqFullParks);
  });

  test('--rings is checked: 1 to 4, and only for bpf', async () => {
    const bad = await runCli(['run', 'nop-chain', '-s', 'bpf', '--rings', '9']);
    expect([bad.code, bad.stderr]).toEqual([2, 'uringscope: --rings must be an integer from 1 to 4 (got 9)\n']);
    const user = await runCli(['run', 'nop-chain', '-s', 'user', '--rings', '2']);
    expect([user.code, user.stderr]).toEqual([2, 'uringscope: --rings is for --strategy bpf (its rings)\n']);
  });

  bpfTest('a runaway policy is stopped by the step budget, the ring torn down, the reason reported', async () => {
    const r = await run('nop-chain', 'bpf', ['--chains', '1000000', '--step-budget', '20000']);
    expect(r.code).toBe(1);
    expect(r.e.stopReason).toBe('budget');
    expect(r.e.policy!.stepsFromBpf).toBeLessThanOrEqual(20000);
    expect(r.stderr).toMatch(/step budget \(20000 steps\)/);
    // the engine process is gone and took the policy with it (freed after an RCU grace period)
    await waitFor(() => loadedPolicyPrograms().length === 0, 'the policy programs to be gone', 5000);
  });
});
