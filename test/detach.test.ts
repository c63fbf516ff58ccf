// No program or link of ours may outlive `trace`: normal end, Ctrl-C
// (SIGINT), SIGTERM, and even SIGKILL (nothing is pinned, so the kernel
// drops everything with the process's file descriptors).
import { spawn, type ChildProcess } from 'node:child_process';
import { processExists } from '../tracers/targets.js';
import { childrenOf, collect, describeProcess, expectNoTracer, finalSummary, lastTracerProgramId, LOAD, runCli, startCli, waitFor, waitForTracer } from './support.js';

let loop: ChildProcess;

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
    // The command (its gate, then itself in the same pid) is uringscope's one child.
    let cmd = 0;
    await waitFor(() => (cmd = childrenOf(t.pid!)[0] ?? 0) > 0, 'the traced command to start');
    t.kill('SIGINT');
    const r = await done;
    expect(r.code).toBe(0);
    await waitFor(() => !processExists(cmd), 'the traced command to exit', 5000).catch((e: Error) => {
      const left = describeProcess(cmd);
      process.kill(cmd, 'SIGKILL'); // not left for the next test (crosscheck counts every uring_load)
      throw new Error(`${e.message}: ${left}`);
    });
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
