// runOutcome: the one decision of how a workload run ended (workloads/outcome.ts).
import type { EngineResult } from '../../core/engine-result.js';
import { runOutcome } from '../../workloads/outcome.js';

const ctx = { name: 'short-read', strategy: 'bpf' as const, stepBudget: 20000 };
const result = (o: Partial<EngineResult>) => ({ chains: 100, chainsFailed: 0, firstError: 0, stopReason: 'completed', ...o }) as EngineResult;

describe('runOutcome', () => {
  test('a finished run exits 0 with no message', () => {
    expect(runOutcome(result({}), ctx)).toEqual({ note: 'finished: 100 chains', exitCode: 0 });
    expect(runOutcome(result({ stopReason: 'duration' }), ctx)).toEqual({ note: 'duration reached', exitCode: 0 });
  });

  test('a spent step budget exits 1 and names the budget', () => {
    const o = runOutcome(result({ stopReason: 'budget' }), ctx);
    expect(o.exitCode).toBe(1);
    expect(o.note).toBe('stopped: the policy spent its step budget');
    expect(o.message).toBe('the BPF policy reached its step budget (20000 steps) and was stopped: raise --step-budget if that is expected');
    expect(runOutcome(result({ stopReason: 'budget' }), { ...ctx, strategy: 'user' }).message).toMatch(/^the policy reached/);
  });

  test('failed chains exit 1 with the first error by name', () => {
    const o = runOutcome(result({ chainsFailed: 3, firstError: -2 }), ctx);
    expect(o).toEqual({ note: 'finished: 100 chains', exitCode: 1, message: '3 chains of short-read failed (first error ENOENT)' });
  });

  test('a stall exits 1, says after how many of the chains asked for, and names a first error', () => {
    const o = runOutcome(result({ stopReason: 'stalled', chains: 64 }), { ...ctx, chains: 1000 });
    expect(o.exitCode).toBe(1);
    expect(o.note).toBe('STALLED after 64 chains: no progress for 10 s');
    expect(o.message).toMatch(/^the BPF policy stalled after 64 of 1000 chains: nothing completed for 10 s, so the run was stopped \(/);
    const failed = runOutcome(result({ stopReason: 'stalled', chains: 5, chainsFailed: 5, firstError: -75 }), { ...ctx, strategy: 'user', policy: true });
    expect(failed.message).toMatch(/^the policy stalled after 5 chains: .*; 5 failed \(first error EOVERFLOW\)/);
  });

  test('a link/user stall says what the run waited for: requests in flight by op, since when, which chains', () => {
    const stall = { quietSinceNs: 2.13e9, quietForNs: 10.02e9, inFlight: { READ: 15, NOP: 1 }, chains: 16, oldestChain: 212, oldestChainStartNs: 1.9e9 };
    const o = runOutcome(result({ stopReason: 'stalled', chains: 120, stall }), { ...ctx, strategy: 'user', chains: 400 });
    expect(o.exitCode).toBe(1);
    expect(o.message).toBe('the run stalled after 120 of 400 chains: nothing completed for 10.0 s (since 2.1 s into the run) while 16 requests were in flight ' +
      '(15 READ, 1 NOP) for 16 chains, the oldest chain 212 from 1.9 s, so the run was stopped (does a chain end without issuing a request, or wait on one that never completes?)');
    const one = runOutcome(result({ stopReason: 'stalled', chains: 0, stall: { ...stall, inFlight: { RECV: 1 }, chains: 1, oldestChain: 0, oldestChainStartNs: 0 } }), { ...ctx, strategy: 'link' });
    expect(one.message).toMatch(/^the run stalled after 0 chains: nothing completed for 10\.0 s \(since 2\.1 s into the run\) while 1 request was in flight \(1 RECV\) for chain 0 \(from 0\.0 s\), so/);
  });

  test('no engine result is a failure', () => {
    expect(runOutcome(undefined, ctx)).toEqual({ note: 'failed', exitCode: 1 });
  });
});
