// Where io_uring_enter blocks: a thread's waits for CQEs, their off-CPU time,
// what ended each (a CQE, the wait's own timeout, a signal), and with
// --anatomy the reap after a CQE, from the tracepoints every kernel has.
// `uring_load waits N US` makes N rounds of three waits of US microseconds:
// one ended by a timeout request's CQE, one by -ETIME, one by SIGALRM.
import { finalSummary, LOAD, runCli } from './support.js';

const ROUNDS = 20;
const US = 2000;

test('waits: each counted with its off-CPU time and what ended it, and the thread that waited', async () => {
  const r = await runCli(['trace', '--json', '--threads', '--', LOAD, 'waits', String(ROUNDS), String(US)]);
  expect(r.code).toBe(0);
  const s = finalSummary(r.stdout);
  expect(s.waits).toMatchObject({ count: 3 * ROUNDS, ended: { events: ROUNDS, timeout: ROUNDS, signal: ROUNDS, error: 0 } });
  // Each wait lasts at least US (a timer's): its thread spends most of it off the CPU.
  expect(s.waits!.offCpuNs).toBeGreaterThanOrEqual(0.8 * 3 * ROUNDS * US * 1000);
  const app = s.threads!.filter((t) => t.kind === 'app');
  expect(app.reduce((a, t) => a + (t.waits ?? 0), 0)).toBe(3 * ROUNDS);
  expect(app.reduce((a, t) => a + (t.waitNs ?? 0), 0)).toBe(s.waits!.offCpuNs);
  expect(s.reap).toBeUndefined(); // --anatomy only
});

test('--anatomy: the reap of each wait a CQE ended, from that CQE to the return', async () => {
  const r = await runCli(['trace', '--json', '--anatomy', '--', LOAD, 'waits', String(ROUNDS), String(US)]);
  expect(r.code).toBe(0);
  const s = finalSummary(r.stdout);
  // Only the first wait of each round had a CQE posted while it waited.
  expect(s.reap!.count).toBe(ROUNDS);
  expect(s.reap!.max).toBeGreaterThan(0);
  expect(s.reap!.p50).toBeLessThanOrEqual(s.reap!.max);
  expect(s.reap!.sumNs).toBeGreaterThanOrEqual(s.reap!.max);
  expect(s.absent?.waits).toBeUndefined();
});
