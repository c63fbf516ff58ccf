// Ctrl-C (SIGINT), SIGTERM and SIGHUP (a closed terminal) at random moments of `run` (each strategy),
// `record` and `replay` (docs/guarantees.md): the run stops, reports how it ended,
// and leaves nothing. The moments are counted from the first BPF program
// uringscope holds (its tracer loading; before that Node is still loading
// modules, nothing has started, and the default action of the signal is
// the right end: start-signal.test.ts covers the load itself) to 2.5 s
// into the run. After each: exit 0, a summary whose engine.stopReason is
// "signal" (record: a complete recording that says so), no engine, none of
// the BPF programs it or uringscope held, no run directory.
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kernelGate } from '../kernel-gate.js';
import { collect, runCli, sleep, startCli, waitFor } from '../support.js';
import { enginesUsing, exitOf, expectProgramsGone, heldProgramIds, lastJson, ProgramWatch, randomMs, REPEATS, runDirsIn, useScratch } from './support.js';

const gate = await kernelGate();
const bpfTest = gate.test({ strategy: 'bpf' });

let scratch: string;
useScratch('uringscope-signals-', (d) => (scratch = d));

interface Ended {
  engine?: { stopReason?: string };
}

/**
 * Starts `args`, sends `sig` after `delayMs`, checks nothing is left.
 * Resolves to the summary's engine.stopReason, or undefined when the signal
 * came before the handlers (exit by the signal itself).
 */
async function signalAfter(args: string[], sig: Signal, delayMs: number, check?: () => Promise<void>): Promise<void> {
  const child = startCli([...args, '--json', '--interval', '200', '--scratch', scratch]);
  const done = collect(child);
  const exit = exitOf(child);
  const watch = new ProgramWatch(child.pid!, scratch);
  await waitFor(() => heldProgramIds(child.pid!).length > 0, 'the tracer to start loading', 20000);
  await sleep(delayMs);
  child.kill(sig);
  const ended = await Promise.race([exit, sleep(15000).then(() => 'hung' as const)]);
  await watch.stop();
  if (ended === 'hung') {
    child.kill('SIGKILL');
    throw new Error(`${args.join(' ')}: still running 15 s after ${sig} at ${delayMs} ms`);
  }
  await waitFor(() => enginesUsing(scratch).length === 0, 'the engine to be gone', 2000);
  await expectProgramsGone(watch.ids);
  expect(runDirsIn(scratch)).toEqual([]);
  const r = await done;
  expect({ at: delayMs, code: ended.code, stderr: r.stderr }).toEqual({ at: delayMs, code: 0, stderr: '' });
  const stopReason = lastJson<Ended>(r.stdout).engine?.stopReason ?? '(none)';
  expect({ at: delayMs, stopReason }).toEqual({ at: delayMs, stopReason: 'signal' });
  await check?.();
}

/** The largest file in a run directory so far: a target the engine is writing (the plan and owner files are small). */
function largestRunFile(): number {
  let n = 0;
  for (const d of runDirsIn(scratch)) {
    try {
      for (const f of readdirSync(join(scratch, d))) n = Math.max(n, statSync(join(scratch, d, f)).size);
    } catch {
      // the run directory went meanwhile
    }
  }
  return n;
}

/** The signals that stop a run and report, in turn: each ends it the same way. */
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
type Signal = (typeof SIGNALS)[number];

/** REPEATS signals, SIGINT, SIGTERM and SIGHUP in turn, at random moments from start-up to mid-run. */
async function signalRepeatedly(args: (i: number) => string[], check?: (i: number) => Promise<void>): Promise<void> {
  for (let i = 0; i < REPEATS; i++) {
    await signalAfter(args(i), SIGNALS[i % SIGNALS.length], randomMs(0, 2500), check && (() => check(i)));
  }
}

gate.describeEach(['link', 'user', 'bpf'])('SIGINT / SIGTERM / SIGHUP of uringscope during run under %s', (strategy) => {
  test(`${REPEATS} times at random moments: exit 0, stopped by the signal, nothing left`, async () => {
    await signalRepeatedly(() => ['run', 'nop-chain', '--strategy', strategy, '--duration', '30']);
  });
});

bpfTest(`SIGINT / SIGTERM / SIGHUP during record (bpf), ${REPEATS} times: a complete recording that says it was stopped`, async () => {
  const file = (i: number) => join(scratch, `r${i}.usrec`);
  await signalRepeatedly(
    (i) => ['record', '-o', file(i), 'nop-chain', '--strategy', 'bpf', '--duration', '30'],
    async (i) => {
      const rep = await runCli(['report', file(i), '--json']);
      expect(rep.code).toBe(0);
      const lines = rep.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; recording?: { complete: boolean }; engine?: { stopReason: string } });
      expect(lines.find((l) => l.type === 'report')?.recording?.complete).toBe(true);
      expect(lines.find((l) => l.type === 'summary')?.engine?.stopReason).toBe('signal');
    },
  );
});

bpfTest(`SIGINT / SIGTERM / SIGHUP during replay (bpf, the replay policy), ${REPEATS} times: exit 0, stopped by the signal, nothing left`, async () => {
  const rec = join(scratch, 'src.usrec');
  expect((await runCli(['record', '-o', rec, '--events', 'short-read', '--chains', '2000', '--scratch', scratch])).code).toBe(0);
  // --speed 0.001 (the slowest allowed) stretches the recorded start times 1,000x: the replay is still going when signalled.
  await signalRepeatedly(() => ['replay', rec, '--strategy', 'bpf', '--speed', '0.001']);
});

// The engine writes a workload's files before the first chain: a 1 GiB file
// takes it about a second, long enough to be signalled in the middle every
// time. The write stops within its 1 MiB piece: a stop that waited for the
// whole file would be seen growing it far past where it was signalled.
test('SIGINT / SIGTERM / SIGHUP while the engine writes its targets: the write stops, exit 0, stopped by the signal, nothing left', async () => {
  const workload = join(scratch, 'bigfile.json');
  writeFileSync(workload, JSON.stringify({
    name: 'bigfile', description: 'a large target file, then a few reads',
    targets: { big: { kind: 'file', size: 1 << 30, content: 'random' } },
    steps: [{ op: 'read', target: 'big', len: 4096 }], chains: 10,
  }));
  for (const sig of SIGNALS) {
    const child = startCli(['run', workload, '--strategy', 'link', '--json', '--scratch', scratch]);
    const done = collect(child);
    // Its first 1 MiB piece written, 1,023 to go.
    await waitFor(() => largestRunFile() >= 1 << 20, 'the engine to start writing its target');
    child.kill(sig);
    const atSignal = largestRunFile();
    let grownTo = atSignal;
    const watch = setInterval(() => (grownTo = Math.max(grownTo, largestRunFile())), 2);
    const r = await done;
    clearInterval(watch);
    expect({ sig, grownPastSignal: grownTo - atSignal < 64 << 20 }).toEqual({ sig, grownPastSignal: true });
    await waitFor(() => enginesUsing(scratch).length === 0, 'the engine to be gone', 2000);
    expect(runDirsIn(scratch)).toEqual([]);
    expect({ sig, code: r.code, stderr: r.stderr }).toEqual({ sig, code: 0, stderr: '' });
    expect({ sig, stopReason: lastJson<Ended>(r.stdout).engine?.stopReason }).toEqual({ sig, stopReason: 'signal' });
  }
});
