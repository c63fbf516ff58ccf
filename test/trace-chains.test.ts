// `trace -- helper N` on linked chains read(4096) -> nop -> nop, real kernel:
// the counts must be exact (the short read breaks the link: the kernel cancels both NOPs).
import { finalSummary, LOAD, runCli } from './support.js';

const N = 5000;

describe('trace -- uring_load chains', () => {
  test('short reads: N READ, 2N NOP completions, 2N cancelled, 2N fail_link', async () => {
    const r = await runCli(['trace', '--json', '--', LOAD, 'chains', String(N)]);
    expect(r.code).toBe(0);
    const s = finalSummary(r.stdout);
    expect(s.requests.READ).toMatchObject({ submitted: N, completed: N, cancelled: 0, errors: 0 });
    expect(s.requests.NOP).toMatchObject({ submitted: 2 * N, completed: 2 * N, cancelled: 2 * N, errors: 0 });
    expect(s.failLinks).toBe(2 * N);
    expect(s.requests.READ.latencyNs.count).toBe(N);
    expect(s.requests.READ.latencyNs.p50).toBeGreaterThan(0);
    expect(s.requests.READ.latencyNs.p99).toBeGreaterThanOrEqual(s.requests.READ.latencyNs.p50);
    expect(s.requests.READ.latencyNs.max).toBeGreaterThanOrEqual(s.requests.READ.latencyNs.p99);
    // One io_uring_enter per chain: submit 3 and wait.
    expect(s.enter.calls).toBeGreaterThanOrEqual(N);
    expect(s.enter.toSubmit).toBe(3 * N);
    expect(s.drops).toBe(0);
    expect(s.untracked).toEqual({ completions: 0, neverCompleted: 0, evicted: 0, processes: 0, threadEvents: 0 });
  });

  test('full reads: nothing cancelled, no broken link', async () => {
    const r = await runCli(['trace', '--json', '--', LOAD, 'chains', String(N), '--full']);
    expect(r.code).toBe(0);
    const s = finalSummary(r.stdout);
    expect(s.requests.READ).toMatchObject({ completed: N, cancelled: 0 });
    expect(s.requests.NOP).toMatchObject({ completed: 2 * N, cancelled: 0 });
    expect(s.failLinks).toBe(0);
  });

  test('SQPOLL ring: submissions come from iou-sqp, counts still exact', async () => {
    const r = await runCli(['trace', '--json', '--threads', '--', LOAD, 'chains', '2000', '--sqpoll']);
    expect(r.code).toBe(0);
    const s = finalSummary(r.stdout);
    expect(s.requests.NOP).toMatchObject({ completed: 4000, cancelled: 4000 });
    expect(s.requests.READ.completed).toBe(2000);
    expect(s.threads?.some((t) => t.kind === 'sqpoll' && t.comm.startsWith('iou-sqp-'))).toBe(true);
  });

  test('human output names the opcodes and the cancellations', async () => {
    const r = await runCli(['trace', '--', LOAD, 'chains', '1000']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/── summary/);
    expect(r.stdout).toMatch(/^\s+NOP\s+\S+\s+2000\s+2000\s+2000\s+0\s/m);
    expect(r.stdout).toMatch(/^\s+READ\s+\S+\s+1000\s+1000\s+0\s+0\s/m);
    expect(r.stdout).toMatch(/links broken 2000/);
  });

  test('CQE_SKIP_SUCCESS requests: no completion, counted as never completed, no leak', async () => {
    const n = 10000;
    const r = await runCli(['trace', '--json', '--events', '--', LOAD, 'skip', String(n)]);
    expect(r.code).toBe(0);
    const s = finalSummary(r.stdout);
    expect(s.requests.NOP).toMatchObject({ submitted: n + 1, completed: 1 });
    expect(s.requests.NOP.latencyNs.count).toBe(1);
    // The kernel reuses the request memory: each reuse proves one never completed.
    expect(s.untracked.neverCompleted).toBeGreaterThan(n * 0.9);
    expect(s.untracked.neverCompleted).toBeLessThanOrEqual(n);
    expect(s.events).toEqual({ received: 1, written: 1 });
  });

  test("the command's exit status is uringscope's", async () => {
    const r = await runCli(['trace', '--json', '--', LOAD, 'bogus-mode']);
    expect(r.code).toBe(2);
    expect(finalSummary(r.stdout).requests).toEqual({});
  });
});
