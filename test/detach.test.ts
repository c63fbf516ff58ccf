// No program or link of ours may outlive `trace`: normal end, Ctrl-C
// (SIGINT), SIGTERM, and even SIGKILL (nothing is pinned, so the kernel
// drops everything with the process's file descriptors).
import { spawn, type ChildProcess } from 'node:child_process';
import { collect, finalSummary, LOAD, loadedTracerPrograms, runCli, startCli, waitFor } from './support.js';

let loop: ChildProcess;

beforeAll(async () => {
  loop = spawn(LOAD, ['loop'], { stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise((r) => loop.stdout!.once('data', r));
});
afterAll(() => {
  loop.kill('SIGKILL');
});

async function attached(): Promise<void> {
  await waitFor(() => loadedTracerPrograms().length >= 10, 'the tracer programs to load');
}

describe('detach', () => {
  test('after a normal end', async () => {
    const r = await runCli(['trace', '--json', '--', LOAD, 'chains', '100']);
    expect(r.code).toBe(0);
    expect(loadedTracerPrograms()).toEqual([]);
  });

  test.each(['SIGINT', 'SIGTERM'] as const)('on %s: final summary, exit 0, nothing left', async (sig) => {
    const t = startCli(['trace', '--json', '--pid', String(loop.pid)]);
    const done = collect(t);
    await attached();
    t.kill(sig);
    const r = await done;
    expect(r.code).toBe(0);
    expect(finalSummary(r.stdout).requests.NOP.completed).toBeGreaterThan(0);
    expect(loadedTracerPrograms()).toEqual([]);
  });

  test('on SIGINT while tracing a command: the command is stopped too', async () => {
    const t = startCli(['trace', '--json', '--', LOAD, 'loop']);
    const done = collect(t);
    await attached();
    t.kill('SIGINT');
    const r = await done;
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/chains=\d+/); // uring_load ran its SIGINT path
    expect(loadedTracerPrograms()).toEqual([]);
  });

  test('on SIGKILL the kernel drops everything', async () => {
    const t = startCli(['trace', '--pid', String(loop.pid)]);
    const done = collect(t);
    await attached();
    t.kill('SIGKILL');
    const r = await done;
    expect(r.signal).toBe('SIGKILL');
    await waitFor(() => loadedTracerPrograms().length === 0, 'the programs to go', 10000);
  });
});
