// Nothing of a run outlives uringscope, however it ends (docs/guarantees.md): SIGKILL
// at random moments of `run` (link, user, bpf), `record` and `replay`, SIGKILL of
// the engine alone, a closed stdout (`| head -1`), a second Ctrl-C. After
// each: no engine process, none of the BPF programs it or uringscope held
// still loaded, and the run directory removed at the latest by the next
// run's start. Every run gets a private --scratch directory, so other
// uringscopes on this machine do not count.
import { execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { kernelGate } from '../kernel-gate.js';
import { CLI, collect, LOAD, runCli, sleep, startCli, waitFor } from '../support.js';
import { processExists } from '../../tracers/targets.js';
import { enginesUsing, expectProgramsGone, ProgramWatch, randomMs, REPEATS, runDirsIn, useScratch } from './support.js';

const run = promisify(execFile);
const gate = await kernelGate();
const bpfTest = gate.test({ strategy: 'bpf' });

let scratch: string;
useScratch('uringscope-faults-', (d) => (scratch = d));

/** The engine's end, within ~2 s of its parent's (polled). */
async function expectNoEngine(): Promise<void> {
  await waitFor(() => enginesUsing(scratch).length === 0, `the engine under ${scratch} to be gone`, 2000);
}

/** The next run's start removes what the killed ones left. */
async function expectSweptByNextRun(): Promise<void> {
  const r = await runCli(['run', 'nop-chain', '--chains', '10', '--scratch', scratch]);
  expect(r.code).toBe(0);
  expect(runDirsIn(scratch)).toEqual([]);
}

/**
 * uringscope's own exit, not 'close': an engine left running would hold
 * uringscope's stderr open, and waiting for that would wait for the engine.
 */
function exited(child: ChildProcess): Promise<NodeJS.Signals | null> {
  return new Promise((res) => child.once('exit', (_code, signal) => res(signal)));
}

/**
 * Starts `args`, SIGKILLs uringscope after `delayMs` (counted from the engine's start when
 * `afterEngine`), checks nothing is left; returns how many engines it saw.
 */
async function killAfter(args: string[], delayMs: number, afterEngine = false): Promise<number> {
  const child = startCli([...args, '--scratch', scratch], { stdio: 'ignore' });
  const exit = exited(child);
  const watch = new ProgramWatch(child.pid!, scratch);
  if (afterEngine) await waitFor(() => watch.engines.size > 0, `an engine under ${scratch}`, 60000);
  await sleep(delayMs);
  child.kill('SIGKILL');
  await watch.stop();
  expect(await exit).toBe('SIGKILL');
  await expectNoEngine();
  await expectProgramsGone(watch.ids);
  return watch.engines.size;
}

/**
 * `killAfter` at REPEATS random moments. Some must find the engine running, or the test
 * proved nothing: on a loaded machine a start can outlast every random moment, so the last
 * kill comes a random moment after the engine is seen.
 */
async function killRepeatedly(args: (i: number) => string[]): Promise<void> {
  let engines = 0;
  for (let i = 0; i < REPEATS - 1; i++) engines += await killAfter(args(i), randomMs(300, 3000));
  engines += await killAfter(args(REPEATS - 1), randomMs(0, 1000), true);
  expect(engines).toBeGreaterThan(0);
  await expectSweptByNextRun();
}

gate.describeEach(['link', 'user', 'bpf'])('SIGKILL of uringscope during run under %s', (strategy) => {
  test(`${REPEATS} kills at random moments: engine gone, programs unloaded, run dirs swept`, async () => {
    await killRepeatedly(() => ['run', 'nop-chain', '--strategy', strategy, '--duration', '30']);
  });
});

/**
 * A recording cut by a kill: none yet (killed before its header was
 * written), or `report` reads it up to its last whole chunk and says where
 * it was cut (exit 3, one line). Returns whether there was one to read.
 */
async function expectReadableToLastChunk(file: string): Promise<boolean> {
  if (!existsSync(file) || statSync(file).size === 0) return false;
  const r = await runCli(['report', file, '--json']);
  expect({ file, code: r.code, stderr: r.stderr }).toEqual({ file, code: 3, stderr: expect.stringMatching(/^uringscope: .*incomplete recording, (truncated at byte \d+|no end chunk)[^\n]*\n$/) });
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; recording?: { complete: boolean } });
  expect(lines.find((l) => l.type === 'report')?.recording?.complete).toBe(false);
  return true;
}

bpfTest(`SIGKILL of uringscope during record (bpf), ${REPEATS} times: engine gone, programs unloaded, run dirs swept, the recording readable to its last whole chunk`, async () => {
  const file = (i: number) => join(scratch, `r${i}.usrec`);
  await killRepeatedly((i) => ['record', '-o', file(i), 'nop-chain', '--strategy', 'bpf', '--duration', '30']);
  let readable = 0;
  for (let i = 0; i < REPEATS; i++) if (await expectReadableToLastChunk(file(i))) readable++;
  expect(readable).toBeGreaterThan(0);
});

/** The uring_load a `record -- LOAD` started (the gate shell execs it in place: uringscope's own child). */
function loadOf(parent: number): number | undefined {
  try {
    return Number(execFileSync('pgrep', ['-P', String(parent), '-x', 'uring_load'], { encoding: 'utf8' }).split('\n')[0]) || undefined;
  } catch {
    return undefined;
  }
}

test(`SIGKILL of uringscope during record -- CMD, ${REPEATS} times: the command is the user's and runs on, untraced (as docs/guarantees.md says); nothing of ours stays loaded; the recording readable`, async () => {
  let readable = 0;
  for (let i = 0; i < REPEATS; i++) {
    const file = join(scratch, `c${i}.usrec`);
    const child = startCli(['record', '-o', file, '--interval', '200', '--', LOAD, 'loop'], { stdio: 'ignore' });
    const exit = exited(child);
    const watch = new ProgramWatch(child.pid!, scratch);
    let load: number | undefined;
    await waitFor(() => (load = loadOf(child.pid!)) !== undefined, 'the recorded command to start', 20000);
    await sleep(randomMs(0, 2000));
    child.kill('SIGKILL');
    expect(await exit).toBe('SIGKILL');
    await watch.stop();
    try {
      expect({ at: i, commandRuns: processExists(load!) }).toEqual({ at: i, commandRuns: true });
      await expectProgramsGone(watch.ids);
    } finally {
      process.kill(load!, 'SIGKILL');
    }
    if (await expectReadableToLastChunk(file)) readable++;
  }
  expect(readable).toBeGreaterThan(0);
});

bpfTest(`SIGKILL of uringscope during replay (bpf, the replay policy), ${REPEATS} times: engine gone, programs unloaded, run dirs swept`, async () => {
  const rec = join(scratch, 'src.usrec');
  expect((await runCli(['record', '-o', rec, '--events', 'short-read', '--chains', '2000', '--scratch', scratch])).code).toBe(0);
  // --speed 0.001 (the slowest allowed) stretches the recorded start times 1,000x: the replay is still going when killed.
  await killRepeatedly(() => ['replay', rec, '--strategy', 'bpf', '--speed', '0.001']);
});

/** Starts a run and resolves once it reports intervals (the engine is going). */
async function runningCli(strategy: string) {
  const child = startCli(['run', 'nop-chain', '--strategy', strategy, '--duration', '30', '--json', '--interval', '100', '--scratch', scratch]);
  const done = collect(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  await waitFor(() => out.includes('"type":"interval"') && enginesUsing(scratch).length === 1, 'the run to be going');
  return { child, done, engine: enginesUsing(scratch)[0] };
}

test('SIGKILL of uringscope and its engine at once: the run directory is left, and the next start sweeps it', async () => {
  const { child, done, engine } = await runningCli('user');
  const exit = exited(child);
  process.kill(engine, 'SIGKILL');
  child.kill('SIGKILL');
  await exit;
  void done;
  await expectNoEngine();
  expect(runDirsIn(scratch)).toHaveLength(1);
  await expectSweptByNextRun();
});

test(`SIGKILL of the engine alone, ${REPEATS} times at random moments, strategies in turn: one line saying so, exit 1, no stack, programs unloaded, scratch removed`, async () => {
  const strategies = gate.strategies(['link', 'user', 'bpf']);
  for (let i = 0; i < REPEATS; i++) {
    const strategy = strategies[i % strategies.length];
    const { child, done, engine } = await runningCli(strategy);
    const watch = new ProgramWatch(child.pid!, scratch);
    const at = randomMs(0, 2000);
    await sleep(at);
    process.kill(engine, 'SIGKILL');
    const r = await done;
    await watch.stop();
    expect({ strategy, at, code: r.code, stderr: r.stderr }).toEqual({
      strategy, at, code: 1, stderr: 'uringscope: workload nop-chain: the engine was killed by SIGKILL before it reported\n',
    });
    await expectProgramsGone(watch.ids);
    expect(runDirsIn(scratch)).toEqual([]);
  }
});

bpfTest('run ... | head -1: uringscope ends quietly like a SIGPIPE\'d tool, and the engine with it', async () => {
  const err = join(scratch, 'stderr');
  const cmd = `"${process.execPath}" "${CLI}" run nop-chain --strategy bpf --duration 30 --json --interval 100 --scratch "${scratch}" 2>"${err}" | head -1; echo "\${PIPESTATUS[0]}"`;
  const t0 = Date.now();
  const { stdout } = await run('bash', ['-c', cmd], { encoding: 'utf8' });
  const [first, status] = stdout.trim().split('\n');
  expect(JSON.parse(first).type).toBe('interval');
  expect(status).toBe('141'); // 128 + SIGPIPE
  expect(Date.now() - t0).toBeLessThan(15000); // not the run's 30 s
  const { stdout: errText } = await run('cat', [err], { encoding: 'utf8' });
  expect(errText).not.toMatch(/internal error/);
  await expectNoEngine();
  expect(runDirsIn(scratch)).toEqual([]);
});

bpfTest('a second Ctrl-C while the engine is still stopping: exit 130, no engine left, scratch removed', async () => {
  const { child, done, engine } = await runningCli('bpf');
  // An engine slow to stop: held with SIGSTOP, so the first Ctrl-C's SIGTERM waits.
  process.kill(engine, 'SIGSTOP');
  child.kill('SIGINT');
  await sleep(300);
  expect(child.exitCode).toBeNull(); // the first one waits for the engine's report
  const exit = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  child.kill('SIGINT');
  expect(await exit).toBe(130);
  await expectNoEngine();
  void done;
  expect(runDirsIn(scratch)).toEqual([]);
});
