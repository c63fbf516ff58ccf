// Gates the system tests on what this kernel has, in doctor's words
// (docs/development.md, "Test tiers"): a test whose kernel feature is
// missing is registered as skipped, its name suffixed with doctor's reason,
// and one line saying so goes to stderr (the CI log). It never runs to fail
// on the kernel, and it never passes without having run. Where the feature
// is there, the test is jest's own `test`, unchanged: on a kernel that has
// everything a test needs, the gate makes no difference at all.
//
//   const gate = await kernelGate();               // once per test file (top-level await)
//   gate.test({ strategy: 'bpf' })('name', fn);     // also .each(table)
//   gate.testEach(['user', 'bpf'])('%s: ...', fn);  // test.each over strategies, per row
//   for (const s of gate.strategies(['user', 'bpf'])) ...  // a loop inside one test
import { relative } from 'node:path';
import { format } from 'node:util';
import { BPF_OPS_ABSENT } from '../tracers/bpf-ops.js';
import { runDoctor, type DoctorReport } from '../tracers/doctor.js';
import type { Strategy } from '../core/strategy.js';
import { ROOT } from './support.js';

/**
 * What a test needs of the kernel; every field given must hold.
 * - strategy: doctor says the strategy can run here.
 * - bpfPath: `--strategy bpf` can run and takes this path by default here
 *   (doctor's strategies.bpf.path: 'ops' on 7.1+ with bpf-ops, else the
 *   map-backed SQPOLL path). A test asserting which path ran needs it.
 * - bpfOps 'absent': the kernel has no io_uring bpf-ops at all (a test of
 *   how uringscope behaves without it; a 7.1.0-7.1.4 kernel that has it but
 *   refuses it for CVE-2026-72112 does not count).
 */
export interface Need {
  strategy?: Strategy;
  bpfPath?: 'ops' | 'map';
  bpfOps?: 'absent';
}

/** Jest's `test`, or its stand-in that registers skipped tests: both take a test and `.each(table)`. */
export type GatedTest = ((name: string, fn?: jest.ProvidesCallback, timeout?: number) => void) & { each: jest.Each };
/** Jest's `describe`, or its stand-in that registers a skipped block: both take a block and `.each(table)`. */
export type GatedDescribe = ((name: string, fn: () => void) => void) & { each: jest.Each };

/** doctor's bpf_ops check, in its own words ("<name>: <detail>"). */
function bpfOpsWords(report: DoctorReport): string | undefined {
  const c = report.checks.find((x) => x.id === 'bpf_ops');
  return c && `${c.name}: ${c.detail}`;
}

/**
 * Why the kernel `report` describes cannot run what `need` asks, in doctor's
 * own words (a strategy's reason, or the bpf_ops check); undefined when it
 * can. The pure half of the gate: test/unit/kernel-gate.test.ts runs it on
 * made-up reports.
 */
export function unmetReason(report: DoctorReport, need: Need): string | undefined {
  if (need.strategy) {
    const s = report.strategies[need.strategy];
    if (!s.ok) return s.reason ?? `doctor says strategy ${need.strategy} cannot run here`;
  }
  if (need.bpfPath) {
    const b = report.strategies.bpf;
    if (!b.ok) return b.reason ?? 'doctor says strategy bpf cannot run here';
    const want = need.bpfPath === 'ops' ? 'ops' : 'map-backed-sqpoll';
    // The bpf_ops check is where doctor says why bpf takes the other path here.
    if (b.path !== want) return bpfOpsWords(report) ?? `doctor says strategy bpf takes the ${b.path} path here`;
  }
  if (need.bpfOps === 'absent') {
    const c = report.checks.find((x) => x.id === 'bpf_ops');
    if (c?.detail !== BPF_OPS_ABSENT) return bpfOpsWords(report) ?? 'doctor has no bpf_ops check';
  }
  return undefined;
}

/** What `need` asks, for the stderr line. */
export function needText(need: Need): string {
  return [
    need.strategy && `--strategy ${need.strategy}`,
    need.bpfPath && (need.bpfPath === 'ops' ? '--strategy bpf on its bpf-ops path' : '--strategy bpf on its map-backed SQPOLL path'),
    need.bpfOps && 'a kernel without io_uring bpf-ops',
  ].filter(Boolean).join(' and ');
}

/** A skipped test's name: its own, then doctor's reason (jest prints it among the skipped). */
export function skippedName(name: string, reason: string): string {
  return `${name} — skipped: ${reason}`;
}

/** The stderr line for one skipped test (or block). */
export function skipLine(name: string, need: Need, reason: string, file = testFile()): string {
  return `uringscope kernel gate: skipped "${name}"${file ? ` (${file})` : ''}: it needs ${needText(need)}; doctor: ${reason}\n`;
}

/** The stderr line for a strategy a test's loop leaves out. */
export function droppedLine(test: string | undefined, strategy: Strategy, reason: string, file = testFile()): string {
  return `uringscope kernel gate: "${test ?? '(outside a test)'}"${file ? ` (${file})` : ''} runs without --strategy ${strategy}; doctor: ${reason}\n`;
}

/** A `.each` row's test name, as jest formats printf placeholders (%s, %d, ...). */
export function eachName(name: string, row: unknown): string {
  return format(name, ...(Array.isArray(row) ? row : [row]));
}

/** The strategies of `list` this kernel runs, and those it does not with doctor's reason. */
export function splitStrategies<S extends Strategy>(report: DoctorReport, list: readonly S[]): { run: S[]; dropped: [S, string][] } {
  const run: S[] = [];
  const dropped: [S, string][] = [];
  for (const s of list) {
    const why = unmetReason(report, { strategy: s });
    if (why) dropped.push([s, why]);
    else run.push(s);
  }
  return { run, dropped };
}

/** The test file being collected or run, from the package root (jest's expect state knows it). */
function testFile(): string | undefined {
  const path = expect.getState().testPath;
  return path ? relative(ROOT, path) : undefined;
}

export interface KernelGate {
  /** doctor's report the gate decides on (without its tracer load test). */
  report: DoctorReport;
  /** Jest's `test` where `need` is met; else one that registers `test.skip` with doctor's reason. */
  test(need: Need): GatedTest;
  /** Jest's `describe` where `need` is met; else one that registers `describe.skip` with doctor's reason. */
  describe(need: Need): GatedDescribe;
  /** `test.each(strategies)`, each row gated on its own strategy: those this kernel lacks are skipped with the reason. */
  testEach<S extends Strategy>(strategies: readonly S[]): (name: string, fn: (strategy: S) => unknown, timeout?: number) => void;
  /** `describe.each(strategies)`, each row gated on its own strategy. */
  describeEach<S extends Strategy>(strategies: readonly S[]): (name: string, fn: (strategy: S) => void) => void;
  /** For a loop over strategies inside one test: the ones this kernel runs; a line on stderr for each left out. */
  strategies<S extends Strategy>(strategies: readonly S[]): S[];
}

let doctorOnce: Promise<DoctorReport> | undefined;

/**
 * The gate for one test file: doctor's report, taken once (jest gives each
 * test file its own module registry, so this runs once per file). Without
 * doctor's load test: it would load the whole tracer once more per file, and
 * the one check it adds (the tracer loads) is what the system tests
 * themselves must fail on, not skip; every feature check doctor bases its
 * strategies on is there without it.
 */
export async function kernelGate(): Promise<KernelGate> {
  return gateOn(await (doctorOnce ??= runDoctor({ loadTest: false })));
}

/** The gate on a given report (kernelGate's, or a made-up one in the unit test). */
export function gateOn(r: DoctorReport): KernelGate {
  const gate: KernelGate = {
    report: r,
    test(need) {
      const why = unmetReason(r, need);
      if (!why) return test;
      const skip = (name: string) => {
        process.stderr.write(skipLine(name, need, why));
        test.skip(skippedName(name, why), () => undefined);
      };
      const each = ((table: readonly unknown[]) => (name: string) => table.forEach((row) => skip(eachName(name, row)))) as unknown as jest.Each;
      return Object.assign((name: string) => skip(name), { each });
    },
    describe(need) {
      const why = unmetReason(r, need);
      if (!why) return describe;
      // A skipped block still collects its tests (skipped, under the suffixed name); one line for the block.
      const skip = (name: string, fn: () => void) => {
        process.stderr.write(skipLine(name, need, why));
        describe.skip(skippedName(name, why), fn);
      };
      const each = ((table: readonly unknown[]) => (name: string, fn: (...args: unknown[]) => void) =>
        table.forEach((row) => skip(eachName(name, row), () => fn(...(Array.isArray(row) ? row : [row]))))) as unknown as jest.Each;
      return Object.assign(skip, { each });
    },
    // One row at a time, in order: the rows that run keep jest's own naming and order.
    testEach: (strategies) => (name, fn, timeout) => {
      for (const s of strategies) gate.test({ strategy: s }).each([s])(name, fn, timeout);
    },
    describeEach: (strategies) => (name, fn) => {
      for (const s of strategies) gate.describe({ strategy: s }).each([s])(name, fn);
    },
    strategies(list) {
      const { run, dropped } = splitStrategies(r, list);
      const current = expect.getState().currentTestName;
      for (const [s, why] of dropped) process.stderr.write(droppedLine(current, s, why));
      return run;
    },
  };
  return gate;
}
