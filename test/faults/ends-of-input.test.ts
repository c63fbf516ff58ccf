// Faults that come from outside uringscope: the traced command
// dying mid-run, the disk filling while a recording is written, and the
// tracer's ring buffer overflowing while uringscope cannot read it. Each
// ends with one line or a summary that says what happened, nothing left
// running or loaded, and a recording readable up to its last whole chunk.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kernelGate } from '../kernel-gate.js';
import { collect, LOAD, runCli, sleep, startCli, waitFor } from '../support.js';
import { enginesUsing, exitOf, expectProgramsGone, heldProgramIds, lastJson, ProgramWatch, randomMs, REPEATS, runDirsIn, useScratch } from './support.js';

const gate = await kernelGate();

let scratch: string;
useScratch('uringscope-ends-', (d) => (scratch = d));

/** The uring_load processes under `parent` (the traced command, started behind a gate shell that execs it). */
function loadsUnder(parent: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(parent), '-x', 'uring_load'], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

interface ReportLine {
  type: string;
  recording?: { complete: boolean; chunks: number; ended?: { reason: string; exitCode?: number; signal?: string }; events?: { recorded: number; droppedByTracer: number } };
  requests?: Record<string, { completed: number }>;
  drops?: number;
}

async function reportOf(file: string): Promise<{ code: number | null; report?: ReportLine; summary?: ReportLine }> {
  const r = await runCli(['report', file, '--json']);
  const lines = r.code === 0 || r.code === 3 ? r.stdout.trim().split('\n').map((l) => JSON.parse(l) as ReportLine) : [];
  return { code: r.code, report: lines.find((l) => l.type === 'report'), summary: lines.find((l) => l.type === 'summary') };
}

/** trace/record -- uring_load loop; SIGKILL of the command at a random moment once it runs. */
async function commandKilled(args: string[]): Promise<{ summary: Record<string, unknown>; watch: ProgramWatch }> {
  const child = startCli([...args, '--json', '--interval', '200', '--', LOAD, 'loop']);
  const done = collect(child);
  const exit = exitOf(child);
  const watch = new ProgramWatch(child.pid!, scratch);
  await waitFor(() => loadsUnder(child.pid!).length > 0, 'the traced command to start', 20000);
  await sleep(randomMs(0, 1500));
  const [load] = loadsUnder(child.pid!);
  process.kill(load, 'SIGKILL');
  const ended = await Promise.race([exit, sleep(10000).then(() => 'hung' as const)]);
  await watch.stop();
  if (ended === 'hung') {
    child.kill('SIGKILL');
    throw new Error(`${args[0]}: still running 10 s after its command was killed`);
  }
  const r = await done;
  // The command's status, as a shell reports a killed child (128 + 9).
  expect({ code: ended.code, stderr: r.stderr.replace(/^ready\n/, '') }).toEqual({ code: 137, stderr: '' });
  await expectProgramsGone(watch.ids);
  expect(loadsUnder(child.pid!)).toEqual([]);
  return { summary: lastJson(r.stdout), watch };
}

test(`trace -- CMD whose command is SIGKILLed mid-run, ${REPEATS} times: exit 137, the summary says so, detached`, async () => {
  for (let i = 0; i < REPEATS; i++) {
    const { summary } = await commandKilled(['trace']);
    expect(summary.type).toBe('summary');
    expect(summary.ended).toEqual({ reason: 'command-exit', exitCode: 137, signal: 'SIGKILL' });
  }
});

test(`record -- CMD whose command is SIGKILLed mid-run, ${REPEATS} times: a complete recording whose report says how it ended`, async () => {
  for (let i = 0; i < REPEATS; i++) {
    const file = join(scratch, `c${i}.usrec`);
    await commandKilled(['record', '-o', file]);
    const rep = await reportOf(file);
    expect(rep.code).toBe(0);
    expect(rep.report?.recording?.complete).toBe(true);
    expect(rep.report?.recording?.ended).toEqual({ reason: 'command-exit', exitCode: 137, signal: 'SIGKILL' });
  }
});

describe('a disk that fills while the recording is written', () => {
  const small = join(tmpdir(), `uringscope-full-${process.pid}`);
  beforeAll(() => mkdirSync(small, { recursive: true }));
  afterAll(() => rmSync(small, { recursive: true, force: true }));

  /** `args` writing -o onto a tmpfs of `kib` KiB: one line, exit 74, nothing left, the file readable up to its last whole chunk. */
  async function fillsUp(args: (out: string) => string[], kib: number): Promise<void> {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${kib}k`, 'uringscope-test', small]);
    try {
      const out = join(small, 'r.usrec');
      const child = startCli([...args(out), '--scratch', scratch]);
      const watch = new ProgramWatch(child.pid!, scratch);
      const r = await collect(child);
      await watch.stop();
      expect({ kib, code: r.code, stderr: r.stderr }).toEqual({
        kib, code: 74,
        stderr: `uringscope: writing the recording ${out} failed: no space left on the device (ENOSPC); the file is readable up to its last whole chunk (uringscope report FILE); free space there, write elsewhere, or record without --events\n`,
      });
      expect(enginesUsing(scratch)).toEqual([]);
      await expectProgramsGone(watch.ids);
      expect(runDirsIn(scratch)).toEqual([]);
      expect(readdirSync(small)).toEqual(['r.usrec']); // no temp file beside it
      const rep = await reportOf(out);
      expect(rep.code).toBe(3); // incomplete, read up to the cut
      expect(rep.report?.recording?.complete).toBe(false);
      // The header at least; event chunks (up to ~1.3 MB each) only where one fitted whole.
      expect(rep.report?.recording?.chunks).toBeGreaterThanOrEqual(1);
    } finally {
      execFileSync('umount', [small]);
    }
  }

  test(`record --events onto a full tmpfs, ${REPEATS} sizes: one line, exit 74, the engine stopped, the recording readable`, async () => {
    const strategies = gate.strategies(['bpf', 'user']); // in turn, bpf first
    for (let i = 0; i < REPEATS; i++) {
      await fillsUp((out) => ['record', '-o', out, '--events', 'nop-chain', '--strategy', strategies[i % strategies.length], '--duration', '30'], randomMs(256, 4096));
    }
  });

  test(`replay -o --events onto a full tmpfs, ${REPEATS} sizes: one line, exit 74, the engine stopped, the recording readable`, async () => {
    const rec = join(scratch, 'src.usrec');
    expect((await runCli(['record', '-o', rec, '--events', 'nop-chain', '--chains', '20000', '--scratch', scratch])).code).toBe(0);
    const strategies = gate.strategies(['bpf', 'user']); // in turn, bpf first
    for (let i = 0; i < REPEATS; i++) {
      await fillsUp((out) => ['replay', rec, '-o', out, '--events', '--strategy', strategies[i % strategies.length]], randomMs(256, 2048));
    }
  });
});

test(`a full ring buffer (uringscope stopped while the load runs), ${REPEATS} moments: records + drops = requests, the recording complete`, async () => {
  for (let i = 0; i < REPEATS; i++) {
    const file = join(scratch, `ring${i}.usrec`);
    const n = 2_000_000;
    const child = startCli(['record', '-o', file, '--events', '--ring-mb', '1', '--', LOAD, 'nops', String(n)]);
    const done = collect(child);
    await waitFor(() => heldProgramIds(child.pid!).length > 0 && loadsUnder(child.pid!).length > 0, 'the command to run', 20000);
    // SIGSTOP: neither uringscope's reader thread nor its JS drain the ring buffer meanwhile.
    await sleep(randomMs(0, 400));
    child.kill('SIGSTOP');
    await sleep(600);
    child.kill('SIGCONT');
    const r = await done;
    expect(r.code).toBe(0);
    const rep = await reportOf(file);
    expect(rep.code).toBe(0);
    const ev = rep.report!.recording!.events!;
    expect(ev.recorded + ev.droppedByTracer).toBe(rep.summary!.requests!.NOP.completed);
    expect(rep.summary!.requests!.NOP.completed).toBe(n);
    if (i === 0) expect(ev.droppedByTracer).toBeGreaterThan(0);
  }
});
