// The interactive session killed in its terminal: SIGKILL of
// uringscope REPEATS times; SIGTERM, SIGINT and the terminal itself closed
// (tmux kill-server: the session's processes get SIGHUP and lose their tty)
// in turn REPEATS times; each at a random moment after Enter started a run
// (from the tracer's load to mid-run), the strategies taken in turn. After
// each: no engine, no
// BPF program that uringscope or its engine held still loaded, and no run
// directory — at once after SIGTERM and SIGHUP, and after SIGKILL by the
// next session's start, which the next round's start checks (the last
// round's by one more start). TMPDIR is a private directory, so the run
// directories and engines of other uringscopes on this machine do not count.
import { readFileSync } from 'node:fs';
import { kernelGate } from '../kernel-gate.js';
import { sleep, waitFor } from '../support.js';
import { killAll, tmux, type Tmux } from '../tmux.js';
import { enginesUsing, expectProgramsGone, ProgramWatch, randomMs, REPEATS, runDirsIn, useScratch } from './support.js';

type Ending = 'SIGKILL' | 'SIGTERM' | 'SIGINT' | 'terminal closed';
const STRATEGIES = ['link', 'user', 'bpf'] as const;
const gate = await kernelGate();

let scratch: string;
useScratch('uringscope-tui-faults-', (d) => (scratch = d));
afterEach(killAll);

/** The process exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** A session on its setup screen, with TMPDIR = scratch; its start has swept what an earlier kill left. */
async function session(strategy: string): Promise<Tmux> {
  const t = tmux(['--workload', 'nop-chain', '--strategy', strategy, '--duration', '30'], { env: { TMPDIR: scratch } });
  await t.until((s) => s.includes('> nop-chain'), 'the setup screen');
  return t;
}

/** One round; whether uringscope or its engine was seen holding BPF programs before the kill. */
async function killOnce(ending: Ending, strategy: string, delayMs: number): Promise<boolean> {
  const t = await session(strategy);
  // What the previous round's SIGKILL left, this start removed (nothing of this session has run yet).
  expect({ at: 'start', dirs: runDirsIn(scratch) }).toEqual({ at: 'start', dirs: [] });
  const pid = t.pid();
  const watch = new ProgramWatch(pid, scratch);
  t.keys('Enter');
  await t.until((s) => /nop-chain · (link|user|bpf) \[/.test(s), 'the run to start');
  await sleep(delayMs);
  const what = { ending, strategy, at: delayMs };
  if (ending === 'terminal closed') t.kill();
  else process.kill(pid, ending);
  if (ending === 'SIGTERM' || ending === 'SIGINT') {
    // A signal it catches: the session quits as on q, leaving the alternate screen, exit 0.
    expect({ ...what, status: await t.exitStatus(15000) }).toEqual({ ...what, status: 0 });
    await t.until((s) => s.includes('USCOPE-EXITED'), 'the shell prompt back on the normal screen');
  }
  if (ending === 'terminal closed') {
    // SIGHUP makes it quit as on q: the run directory goes once the engine has
    // reported and the tracer has detached, just before uringscope exits.
    await waitFor(() => !alive(pid), `uringscope to exit after its terminal closed (${JSON.stringify(what)})`, 15000);
  }
  await waitFor(() => enginesUsing(scratch).length === 0, `the engine to be gone (${JSON.stringify(what)})`, 3000);
  await watch.stop();
  // A kill at ~0 ms can land before the tracer holds anything (a clean clone's first load is slow): killRounds checks that most rounds saw programs.
  await expectProgramsGone(watch.ids);
  if (ending !== 'SIGKILL') expect({ ...what, dirs: runDirsIn(scratch) }).toEqual({ ...what, dirs: [] });
  t.kill();
  return watch.ids.size > 0;
}

/** REPEATS rounds, each ending as `endingOf(i)` at a random moment, then one more start for the last round's leftovers. */
async function killRounds(endingOf: (i: number) => Ending): Promise<void> {
  const strategies = gate.strategies(STRATEGIES); // bpf where this kernel runs it (doctor's reason logged if not)
  // (i + i/3) mod 3: with three endings in turn, every ending meets every strategy.
  let held = 0;
  for (let i = 0; i < REPEATS; i++) if (await killOnce(endingOf(i), strategies[(i + Math.floor(i / 3)) % strategies.length], randomMs(0, 2500))) held++;
  (await session('link')).kill();
  expect(runDirsIn(scratch)).toEqual([]);
  expect(held).toBeGreaterThan(REPEATS / 2);
}

test(`the TUI in tmux, SIGKILL mid-run, ${REPEATS} times, strategies in turn: no engine, no programs, run directories swept by the next start`, async () => {
  await killRounds(() => 'SIGKILL');
});

test(`the TUI in tmux, SIGTERM / SIGINT / its terminal closed in turn mid-run, ${REPEATS} times: exit 0 where it can, no engine, no programs, no run directory`, async () => {
  const endings: Ending[] = ['SIGTERM', 'SIGINT', 'terminal closed'];
  await killRounds((i) => endings[i % endings.length]);
});
