// A link/user run whose requests never complete: unwatched, the engine would
// wait in io_uring_enter forever, silently. After 10 s without a completion, it
// cancels what is in flight, reports stopReason "stalled" with what it waited
// for, and `run` prints one line and exits 1. The request is real: a RECV on
// a socket nobody writes to, from the declarative engine and from a C policy.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineSummary } from '../core/engine-summary.js';
import { kernelGate } from './kernel-gate.js';
import { finalSummary, ROOT, runCli } from './support.js';

const gate = await kernelGate();

/** The one line of a run stalled on two receives nobody answers, 3 chains asked for. */
function stallLine(who: 'run' | 'policy'): RegExp {
  return new RegExp(
    `^uringscope: the ${who} stalled after 0 of 3 chains: nothing completed for 1\\d\\.\\d s \\(since \\d+\\.\\d s into the run\\) ` +
    'while 2 requests were in flight \\(2 RECV\\) for 2 chains, the oldest chain 0 from \\d+\\.\\d s, so the run was stopped \\(.*\\)\\n$');
}

describe('run: a request that never completes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'uringscope-stall-'));
  const file = join(dir, 'never.json');
  writeFileSync(file, JSON.stringify({
    name: 'never',
    description: 'a receive on a socket nobody writes to',
    targets: { sock: { kind: 'socketpair' } },
    steps: [{ op: 'recv', target: 'sock.b', len: 16 }],
    chains: 3,
    concurrency: 2,
    bufferBytes: 16,
  }));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  gate.testEach(['link', 'user'])('%s: stopped as stalled, one line saying what it waited for, exit 1', async (strategy) => {
    const r = await runCli(['run', file, '--strategy', strategy, '--json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(stallLine('run'));
    const e = finalSummary(r.stdout, r.stderr).engine as EngineSummary;
    expect(e.stopReason).toBe('stalled');
    expect(e.stall).toMatchObject({ inFlight: { RECV: 2 }, chains: 2, oldestChain: 0 });
    // The cancel reaped both receives: nothing is left in the kernel.
    expect(e.requests.RECV).toEqual({ submitted: 2, completed: 2 });
    expect([e.chains, e.chainsInterrupted]).toEqual([0, 2]);
  });

  gate.testEach(['link', 'user'])('%s: a timeout step of 12 s is waited for, not taken for a stall', async (strategy) => {
    const slow = join(dir, 'slow-timeout.json');
    writeFileSync(slow, JSON.stringify({ name: 'slow-timeout', description: 'one 12 s timeout', steps: [{ op: 'timeout', timeoutNs: 12e9, expect: ['ETIME'] }], chains: 1, concurrency: 1 }));
    const r = await runCli(['run', slow, '--strategy', strategy, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const e = finalSummary(r.stdout, r.stderr).engine as EngineSummary;
    expect([e.stopReason, e.chains, e.steps]).toEqual(['completed', 1, 1]);
  });

  gate.test({ strategy: 'user' })('user with a C policy waiting on a receive nobody answers: the same, with "the policy stalled"', async () => {
    const r = await runCli(['run', 'echo', '--strategy', 'user', '--policy', join(ROOT, 'test/policies/waits-forever.c'), '--chains', '3', '--concurrency', '2', '--json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(stallLine('policy'));
    const e = finalSummary(r.stdout, r.stderr).engine as EngineSummary;
    expect(e.stopReason).toBe('stalled');
    expect(e.stall).toMatchObject({ inFlight: { RECV: 2 }, chains: 2 });
    expect(e.requests.RECV).toEqual({ submitted: 2, completed: 2 });
  });
});
