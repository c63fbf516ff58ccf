// Ctrl-C while uringscope is still starting (its tracer loading): the run
// still ends, promptly, and leaves nothing. A stop lost there would leave a
// trace that never ends (programs loaded, the command running), and a workload
// run that goes on for its whole duration. The signal is sent the moment the
// first of our programs shows in uringscope's fds, which lands inside the
// load most of the time; repeated, so the window is hit.
import { execFileSync, type ChildProcess } from 'node:child_process';
import { collect, describeProcess, LOAD, sleep, startCli, waitFor } from '../support.js';
import { enginesUsing, heldProgramIds, REPEATS, useScratch } from './support.js';


let scratch: string;
useScratch('uringscope-startsig-', (d) => (scratch = d));

/** SIGINT as soon as `child` holds a BPF program: inside or just after the tracer's load. */
async function interruptWhileLoading(child: ChildProcess): Promise<void> {
  await waitFor(() => heldProgramIds(child.pid!).length > 0, 'the tracer to start loading', 20000);
  child.kill('SIGINT');
}

/**
 * `uring_load loop` processes: the traced command (or its gate). Checked after
 * uringscope has exited, when the command has been reparented (pgrep -P would
 * no longer find it); no other test file's loop runs at the same time.
 */
function loops(): number[] {
  try {
    return execFileSync('pgrep', ['-f', `${LOAD} loop`], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

test(`trace -- CMD, ${REPEATS} times: ends within seconds, the command not left running`, async () => {
  for (let i = 0; i < REPEATS; i++) {
    const child = startCli(['trace', '--json', '--', LOAD, 'loop']);
    const done = collect(child);
    const exit = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
    await interruptWhileLoading(child);
    const code = await Promise.race([exit, sleep(10000).then(() => 'hung')]);
    if (code === 'hung') child.kill('SIGKILL');
    await done;
    // The command ends with uringscope (it is sent the same signal), or never starts.
    let left: number[] = [];
    let what: string[] = [];
    await waitFor(() => (left = loops()).length === 0, 'the traced command to end', 5000).catch(() => {
      what = left.map(describeProcess);
      for (const p of left) process.kill(p, 'SIGKILL'); // not left for the next test
    });
    expect([i, code, what]).toEqual([i, 0, []]);
  }
});

test(`run, ${REPEATS} times: the engine is told even before it runs, and the run ends with a summary`, async () => {
  for (let i = 0; i < REPEATS; i++) {
    const child = startCli(['run', 'nop-chain', '--strategy', 'user', '--duration', '30', '--json', '--scratch', scratch]);
    const done = collect(child);
    const exit = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
    await interruptWhileLoading(child);
    const code = await Promise.race([exit, sleep(10000).then(() => 'hung')]);
    if (code === 'hung') child.kill('SIGKILL');
    expect(code).toBe(0);
    const r = await done;
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { engine: { stopReason: string } };
    expect(summary.engine.stopReason).toBe('signal');
    expect(enginesUsing(scratch)).toEqual([]);
  }
});
