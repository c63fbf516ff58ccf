// `trace --pid` on a process that was already running, `--comm`, and the
// end of a run when the target exits.
import { spawn, type ChildProcess } from 'node:child_process';
import { collect, finalSummary, lastTracerProgramId, LOAD, ndjson, runCli, sleep, startCli, waitForTracer } from './support.js';

function startLoop(): Promise<ChildProcess> {
  const p = spawn(LOAD, ['loop'], { stdio: ['ignore', 'pipe', 'ignore'] });
  return new Promise((res, rej) => {
    p.stdout!.once('data', () => res(p));
    p.once('error', rej);
  });
}

describe('trace --pid', () => {
  let loop: ChildProcess;
  beforeEach(async () => {
    loop = await startLoop();
  });
  afterEach(() => {
    loop.kill('SIGKILL');
  });

  test('picks up the requests of a running process, with interval lines', async () => {
    const r = await runCli(['trace', '--json', '--pid', String(loop.pid), '--duration', '1.2', '--interval', '300']);
    expect(r.code).toBe(0);
    const lines = ndjson(r.stdout);
    const intervals = lines.filter((l) => l.type === 'interval');
    expect(intervals.length).toBeGreaterThanOrEqual(3);
    const s = finalSummary(r.stdout);
    expect(s.requests.NOP.completed).toBeGreaterThan(100);
    expect(s.requests.NOP.cancelled).toBe(0);
    expect(s.enter.calls).toBeGreaterThan(0);
    expect(s.ctxSwitches.byThread.app.voluntary).toBeGreaterThan(0); // it sleeps between bursts
    // Interval lines add up to (at most) the summary.
    const sum = intervals.reduce((a, l) => a + ((l.requests as Record<string, { completed: number }>).NOP?.completed ?? 0), 0);
    expect(sum).toBeLessThanOrEqual(s.requests.NOP.completed);
    expect(sum).toBeGreaterThan(0);
  });

  test('--comm finds it by name', async () => {
    const r = await runCli(['trace', '--json', '--comm', 'uring_load', '--duration', '0.8']);
    expect(r.code).toBe(0);
    expect(finalSummary(r.stdout).requests.NOP.completed).toBeGreaterThan(0);
  });

  test('ends by itself when the traced process exits', async () => {
    const before = lastTracerProgramId();
    const t = startCli(['trace', '--json', '--pid', String(loop.pid), '--interval', '100']);
    const done = collect(t);
    await waitForTracer(before);
    await sleep(300); // let it see some requests
    loop.kill('SIGTERM');
    const r = await done;
    expect(r.code).toBe(0);
    expect(finalSummary(r.stdout).requests.NOP.completed).toBeGreaterThan(0);
  });
});
