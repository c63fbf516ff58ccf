// C chain policies (bpf/uringscope.h) on the real kernel: one source, built
// for BPF (strategy bpf) and natively (strategy user), takes identical
// decisions; the built-in policies reproduce the declarative workloads'
// results; bad policies are refused in one line that names the source line.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineSummary } from '../core/engine-summary.js';
import type { Summary } from '../tracers/summary.js';
import { kernelGate } from './kernel-gate.js';
import { finalSummary, loadedPolicyPrograms, ROOT, runCli, waitFor } from './support.js';

const gate = await kernelGate();
const bpfTest = gate.test({ strategy: 'bpf' });

interface PolicyObject {
  source: string;
  stats: Record<string, number>;
  emits: number;
  cancels: number;
  events: { chain: number; kind: number; a: number; b: number }[];
  stepsFromBpf?: number;
  overlaps?: number;
}

/** The summary's engine block, with the policy numbers (open in EngineSummary) these tests read. */
type Engine = EngineSummary & { policy?: PolicyObject };

interface Run {
  s: Summary;
  e: Engine;
  code: number | null;
  stdout: string;
  stderr: string;
}

const testPolicy = (name: string) => join(ROOT, 'test', 'policies', `${name}.c`);
const dir = mkdtempSync(join(tmpdir(), 'uringscope-policies-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(workload: string, strategy: string, extra: string[] = []): Promise<Run> {
  const r = await runCli(['run', workload, '--strategy', strategy, '--json', ...extra]);
  if (r.code !== 0 && !r.stdout.includes('"summary"')) return { s: {} as Summary, e: {} as Engine, ...r };
  const s = finalSummary(r.stdout, r.stderr);
  return { s, e: s.engine as Engine, ...r };
}

// Every built-in workload and the policy written for it (echo serves both echo workloads).
const builtins: [string, string][] = [
  ['short-read', 'short-read'],
  ['header-body', 'header-body'],
  ['copy', 'copy'],
  ['echo', 'echo'],
  ['echo-tcp', 'echo'],
  ['retry', 'retry'],
  ['nop-chain', 'nop-chain'],
  ['open-read-close', 'open-read-close'],
];

describe('C policies', () => {
  bpfTest.each(builtins)('%s with policy %s: the declarative results under link; identical decisions under user and bpf', async (w, p) => {
    const link = await run(w, 'link');
    const user = await run(w, 'user', ['--policy', p]);
    const bpf = await run(w, 'bpf', ['--policy', p]);
    for (const r of [user, bpf]) {
      expect([r.code, r.stderr]).toEqual([0, '']);
      expect(r.e.chainsFailed).toBe(0);
      for (const k of ['chains', 'bytes', 'readChecksum'] as const) expect([k, r.e[k]]).toEqual([k, link.e[k]]);
      expect(r.e.files).toEqual(link.e.files);
      expect(r.e.policy!.source).toBe(`${p}.c`);
    }
    // One source, two strategies: the same decisions, step for step.
    expect(bpf.e.steps).toBe(user.e.steps);
    expect(bpf.e.policy!.stats).toEqual(user.e.policy!.stats);
    for (const [op, c] of Object.entries(user.e.requests)) {
      if (op !== 'NOP') expect([op, bpf.e.requests[op]]).toEqual([op, c]);
    }
    // Under bpf every step was issued by the policy in the kernel, and the tracer saw it.
    expect(bpf.e.policy!.stepsFromBpf).toBe(bpf.e.steps);
    expect(bpf.e.policy!.overlaps).toBe(0);
    for (const [op, c] of Object.entries(bpf.e.requests)) expect([op, bpf.s.requests[op]?.completed]).toEqual([op, c.completed]);
  });

  bpfTest('short-read: the policy continues after a short read where a kernel link cancels', async () => {
    const link = await run('short-read', 'link');
    const bpf = await run('short-read', 'bpf', ['--policy', 'short-read']);
    expect(link.s.requests.READ.cancelled).toBeGreaterThan(0);
    expect(bpf.s.requests.READ.cancelled).toBe(0);
    expect(bpf.s.failLinks).toBe(0);
    expect(bpf.e.policy!.stats).toEqual({ short_reads: 5000, eofs: 5000 });
  });

  bpfTest('under bpf the run thread neither enters io_uring nor sleeps once per step (tracer)', async () => {
    const { s, e } = await run('short-read', 'bpf', ['--policy', 'short-read']);
    expect(e.steps).toBeGreaterThanOrEqual(10000);
    expect(s.enter.calls / e.steps).toBeLessThanOrEqual(0.05);
    expect(s.ctxSwitches.byThread.app.voluntary / e.steps).toBeLessThanOrEqual(0.05);
  });

  gate.testEach(['user', 'bpf'])('%s: links, drop (cancels what is in flight) and emit', async (strategy) => {
    const { s, e, code } = await run('nop-chain', strategy, ['--policy', testPolicy('drop-emit'), '--chains', '100', '--concurrency', '8']);
    expect(code).toBe(0);
    expect(e.chains).toBe(100);
    expect(e.chainsFailed).toBe(0);
    // each chain's 10 s timeout was cancelled by its drop, not waited for
    expect(s.requests.TIMEOUT).toMatchObject({ completed: 100, cancelled: 100 });
    expect(e.policy!.stats).toEqual({ dropped: 100, linked_nops: 200 });
    expect(e.policy!.cancels).toBe(100);
    expect(e.policy!.emits).toBe(100);
    expect(e.policy!.events).toHaveLength(100);
    expect(new Set(e.policy!.events.map((x) => x.a))).toEqual(new Set(Array.from({ length: 100 }, (_, i) => i)));
    for (const x of e.policy!.events) expect(x).toEqual({ chain: x.a, kind: 7, a: x.a, b: 1 }); // the timeout still in flight
  });

  test('registered buffers: the policy reads the header from its buffer map, registered as fixed buffers', async () => {
    const w = join(dir, 'header-body-fixed.json');
    const builtin = JSON.parse(readFileSync(join(ROOT, 'workloads', 'builtin', 'header-body.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(w, JSON.stringify({ ...builtin, name: 'header-body-fixed', ring: { registeredBuffers: true } }));
    const link = await run(w, 'link');
    for (const strategy of gate.strategies(['user', 'bpf'])) {
      const r = await run(w, strategy, ['--policy', 'header-body']);
      expect([strategy, r.code]).toEqual([strategy, 0]);
      for (const k of ['chains', 'bytes', 'readChecksum'] as const) expect([strategy, k, r.e[k]]).toEqual([strategy, k, link.e[k]]);
      expect(r.s.requests.READ_FIXED.completed).toBe(4000); // header and body of every record, on fixed buffers
      expect(r.s.requests.READ).toBeUndefined();
      expect(r.e.policy!.stats.records).toBe(2000);
    }
  });

  bpfTest('bpf: a policy emitting per chain at full speed loses no record and wakes userspace rarely', async () => {
    const { e, code } = await run('nop-chain', 'bpf', ['--policy', testPolicy('drop-emit'), '--chains', '50000']);
    expect(code).toBe(0);
    expect(e.policy!.emits).toBe(50000);
    expect((e.policy as unknown as { emitsLost: number }).emitsLost).toBe(0);
    expect((e.policy as unknown as { userspaceWakeupsPerStep: number }).userspaceWakeupsPerStep).toBeLessThanOrEqual(0.05);
  });

  bpfTest('stress: 1000 chains in flight, linked pairs punted to io-wq, no lost or duplicated step, repeated', async () => {
    for (let i = 0; i < 4; i++) {
      const rings = i % 2 ? ['--rings', '2'] : []; // and over two SQPOLL rings, completing on two CPUs
      const { s, e, code, stderr } = await run('nop-chain', 'bpf', ['--policy', testPolicy('async-links'), '--chains', '5000', '--concurrency', '1000', ...rings]);
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      expect(e.chains).toBe(5000);
      expect(e.steps).toBe(30000);
      expect(e.policy!.stepsFromBpf).toBe(30000);
      expect(e.policy!.stats).toEqual({ pairs: 15000 });
      expect(e.policy!.overlaps).toBe(0);
      expect(s.asyncPunts).toBeGreaterThanOrEqual(15000);
    }
  });

  gate.testEach(['user', 'bpf'])('%s: a policy that does not compile: the compiler\'s first error, one line', async (strategy) => {
    const r = await run('nop-chain', strategy, ['--policy', testPolicy('syntax-error')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^uringscope: policy syntax-error\.c does not compile: syntax-error\.c:6:\d+: error: use of undeclared identifier 'no_such_tag'\n$/);
  });

  test.each([
    ['out-of-bounds', /^uringscope: workload nop-chain: out-of-bounds\.c:11: the verifier of Linux \S+ refused policy out-of-bounds\.c: invalid access to map value.* \(at `c->var\[\(u32\)e->res & 0xfff\] = 1;`\)\n$/],
    ['endless-loop', /^uringscope: workload nop-chain: endless-loop\.c:13: the verifier of Linux \S+ refused policy endless-loop\.c: infinite loop detected.*\n$/],
  ])('%s: refused by the verifier under user and bpf, with the source line; nothing ran', async (p, message) => {
    for (const strategy of gate.strategies(['user', 'bpf'])) {
      const r = await run('nop-chain', strategy, ['--policy', testPolicy(p)]);
      expect([strategy, r.code]).toEqual([strategy, 1]);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).not.toContain('"summary"');
    }
    await waitFor(() => loadedPolicyPrograms().length === 0, 'no policy program left', 5000);
  });

  gate.testEach(['user', 'bpf'])('%s: a runaway policy is stopped by the step budget and says so', async (strategy) => {
    const r = await run('nop-chain', strategy, ['--policy', testPolicy('runaway'), '--chains', '100', '--step-budget', '50000']);
    expect(r.code).toBe(1);
    expect(r.e.stopReason).toBe('budget');
    expect(r.e.steps).toBeLessThanOrEqual(50000);
    expect(r.e.steps).toBeGreaterThan(40000);
    expect(r.stderr).toMatch(/policy reached its step budget \(50000 steps\) and was stopped/);
    await waitFor(() => loadedPolicyPrograms().length === 0, 'the policy programs to be gone', 5000);
  });

  test('user: a policy whose requests do not fit the chain buffer fails every chain (EOVERFLOW), issues nothing, ends', async () => {
    const w = join(dir, 'copy-small-buffer.json');
    const builtin = JSON.parse(readFileSync(join(ROOT, 'workloads', 'builtin', 'copy.json'), 'utf8')) as Record<string, unknown>;
    const steps = (builtin.steps as Record<string, unknown>[]).map((st) => (st.len === 65536 ? { ...st, len: 4096 } : st));
    // 40,000 chains on 4 slots: more than one batch of settle() per slot, so the run loop resumes them.
    writeFileSync(w, JSON.stringify({ ...builtin, name: 'copy-small-buffer', steps, bufferBytes: 4096, chains: 40000 }));
    const r = await run(w, 'user', ['--policy', 'copy']); // copy.c reads 64 KiB into a 4 KiB buffer
    expect(r.code).toBe(1);
    expect(r.e.chainsFailed).toBe(40000);
    expect(r.e.requests).toEqual({});
    expect(r.stderr).toBe('uringscope: 40000 chains of copy-small-buffer failed (first error EOVERFLOW)\n');
  });

  bpfTest('a policy whose chains issue nothing: all of them under user; under bpf one line, "stalled after N of 1000", exit 1', async () => {
    const user = await run('nop-chain', 'user', ['--policy', testPolicy('issues-nothing'), '--chains', '1000']);
    expect([user.code, user.e.chains, user.e.stopReason]).toEqual([0, 1000, 'completed']);
    const bpf = await run('nop-chain', 'bpf', ['--policy', testPolicy('issues-nothing'), '--chains', '1000']);
    expect(bpf.code).toBe(1);
    expect(bpf.e.stopReason).toBe('stalled');
    expect(bpf.stderr).toBe(`uringscope: the BPF policy stalled after ${bpf.e.chains} of 1000 chains: nothing completed for 10 s, so the run was stopped (does a chain end without issuing a request, or wait on one that never completes?)\n`);
    expect(bpf.e.chains).toBeLessThan(1000);
  });

  test('user: a policy dividing by zero is stopped with one line naming its source line, not a bare SIGFPE', async () => {
    const r = await run('nop-chain', 'user', ['--policy', testPolicy('divide-by-zero'), '--chains', '10']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('uringscope: workload nop-chain: divide-by-zero.c:9:18: the policy divides by zero (C leaves x / 0 undefined, BPF makes it 0): test the divisor first\n');
  });

  test('a missing policy file, an unknown built-in and --policy under link are refused in one line', async () => {
    const missing = await runCli(['run', 'nop-chain', '-s', 'user', '--policy', '/nonexistent/p.c']);
    expect([missing.code, missing.stderr]).toEqual([2, 'uringscope: policy file /nonexistent/p.c not found\n']);
    const unknown = await runCli(['run', 'nop-chain', '-s', 'user', '--policy', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^uringscope: unknown policy "nope": built-ins are copy, echo, header-body, nop-chain, open-read-close, retry, short-read; or give a \.c file\n$/);
    const link = await runCli(['run', 'nop-chain', '-s', 'link', '--policy', 'nop-chain']);
    expect([link.code, link.stderr]).toEqual([2, 'uringscope: --policy needs --strategy user or bpf (under link the kernel\'s own link rules decide)\n']);
  });
});
