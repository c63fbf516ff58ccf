// No program or link of ours may outlive `trace`: normal end, Ctrl-C
// (SIGINT), SIGTERM, and even SIGKILL (nothing is pinned, so the kernel
// drops everything with the process's file descriptors).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { collect, expectNoTracer, finalSummary, lastTracerProgramId, LOAD, runCli, startCli, waitFor, waitForTracer } from './support.js';

let loop: ChildProcess;

/** `uring_load loop` processes other than the one this file keeps running. */
function otherLoops(): number[] {
  let out = '';
  try {
    out = execFileSync('pgrep', ['-f', `${LOAD} loop`], { encoding: 'utf8' });
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
  return out.split('\n').filter(Boolean).map(Number).filter((p) => p !== loop.pid);
}

beforeAll(async () => {
  loop = spawn(LOAD, ['loop'], { stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise((r) => loop.stdout!.once('data', r));
});
afterAll(() => {
  loop.kill('SIGKILL');
});


describe('detach', () => {
  test('after a normal end', async () => {
    const r = await runCli(['trace', '--json', '--', LOAD, 'chains', '100']);
    expect(r.code).toBe(0);
    await expectNoTracer();
  });

  test.each(['SIGINT', 'SIGTERM'] as const)('on %s: final summary, exit 0, nothing left', async (sig) => {
    const before = lastTracerProgramId();
    const t = startCli(['trace', '--json', '--interval', '100', '--pid', String(loop.pid)]);
    const done = collect(t);
    await waitForTracer(before);
    // The target is added once the programs are in: wait until requests show.
    let out = '';
    t.stdout!.on('data', (d) => (out += d));
    await waitFor(() => /"type":"interval".*"NOP"/.test(out), 'requests in an interval');
    t.kill(sig);
    const r = await done;
    expect(r.code).toBe(0);
    expect(finalSummary(r.stdout).requests.NOP.completed).toBeGreaterThan(0);
    await expectNoTracer();
  });

  test('on SIGINT while tracing a command: the command is stopped too', async () => {
    const before = lastTracerProgramId();
    const t = startCli(['trace', '--json', '--', LOAD, 'loop']);
    const done = collect(t);
    await waitForTracer(before);
    t.kill('SIGINT');
    const r = await done;
    expect(r.code).toBe(0);
    // The traced command is gone too (only the beforeAll loop is left).
    await waitFor(() => otherLoops().length === 0, 'the traced command to exit', 5000);
    await expectNoTracer();
  });

  test('on SIGKILL the kernel drops everything', async () => {
    const before = lastTracerProgramId();
    const t = startCli(['trace', '--pid', String(loop.pid)]);
    const done = collect(t);
    await waitForTracer(before);
    t.kill('SIGKILL');
    const r = await done;
    expect(r.signal).toBe('SIGKILL');
    await expectNoTracer();
  });
});
