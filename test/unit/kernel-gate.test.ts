// The system tests' kernel gate (test/kernel-gate.ts) on made-up doctor
// reports shaped like the kernels it meets: which need each one meets, and
// what a skipped test's name and stderr line say (doctor's reason, verbatim).
import { BPF_OPS_ABSENT } from '../../tracers/bpf-ops.js';
import type { Check, DoctorReport, StrategyStatus } from '../../tracers/doctor.js';
import { droppedLine, eachName, gateOn, needText, skipLine, skippedName, splitStrategies, unmetReason, type Need } from '../kernel-gate.js';

const OPS_NAME = 'io_uring bpf-ops (struct_ops loop_step)';
const NO_MMAP = 'needs Linux 6.6+: io_uring_setup refuses IORING_SETUP_NO_MMAP | NO_SQARRAY here (EINVAL)';
const CVE = 'present, but 7.1.3 has CVE-2026-72112 (...): uringscope will not attach bpf-ops here; the bpf strategy uses the map-backed SQPOLL path';
const PRESENT = 'present (struct io_uring_bpf_ops in BTF): --strategy bpf runs its policy in the ring\'s loop step (--bpf-path ops, the default here; --bpf-path map for the SQPOLL path)';

function report(bpfOpsDetail: string, strategies: Partial<Record<'link' | 'user' | 'bpf', StrategyStatus>>): DoctorReport {
  const check: Check = { id: 'bpf_ops', name: OPS_NAME, status: bpfOpsDetail.startsWith('present (') ? 'ok' : 'warn', detail: bpfOpsDetail };
  const all = { link: { ok: true }, user: { ok: true }, bpf: { ok: true, path: 'map-backed-sqpoll' as const }, ...strategies };
  return { type: 'doctor', kernel: 'x', checks: [{ id: 'kernel', name: 'kernel', status: 'ok', detail: 'x' }, check], strategies: all, ok: true };
}

/** 6.18 (this machine): every strategy, bpf map-backed, no bpf-ops. */
const k618 = report(BPF_OPS_ABSENT, {});
/** Debian 12's 6.1: no map-backed bpf strategy, no bpf-ops. */
const k61 = report(BPF_OPS_ABSENT, { bpf: { ok: false, reason: NO_MMAP, path: 'map-backed-sqpoll' } });
/** 7.1.3: bpf-ops there but refused (CVE-2026-72112), so bpf runs map-backed. */
const k713 = report(CVE, {});
/** 7.2: bpf-ops, bpf takes the ops path. */
const k72 = report(PRESENT, { bpf: { ok: true, path: 'ops' } });
/** Not root: nothing runs. */
const unprivileged = report(BPF_OPS_ABSENT, Object.fromEntries(['link', 'user', 'bpf'].map((s) => [s, { ok: false, reason: 'missing: root / CAP_BPF / CAP_PERFMON' }])));

const WITHOUT_OPS: Need = { bpfPath: 'map', bpfOps: 'absent' };

test('which need each kernel meets (undefined), and otherwise doctor\'s reason verbatim', () => {
  const needs: Need[] = [{ strategy: 'link' }, { strategy: 'bpf' }, { bpfPath: 'map' }, { bpfPath: 'ops' }, WITHOUT_OPS];
  const table = (r: DoctorReport) => needs.map((n) => unmetReason(r, n));
  expect(table(k618)).toEqual([undefined, undefined, undefined, `${OPS_NAME}: ${BPF_OPS_ABSENT}`, undefined]);
  expect(table(k61)).toEqual([undefined, NO_MMAP, NO_MMAP, NO_MMAP, NO_MMAP]);
  expect(table(k713)).toEqual([undefined, undefined, undefined, `${OPS_NAME}: ${CVE}`, `${OPS_NAME}: ${CVE}`]);
  expect(table(k72)).toEqual([undefined, undefined, `${OPS_NAME}: ${PRESENT}`, undefined, `${OPS_NAME}: ${PRESENT}`]);
  expect(table(unprivileged)).toEqual(Array(5).fill('missing: root / CAP_BPF / CAP_PERFMON'));
});

test('a skipped test\'s name and stderr line say what it needs and doctor\'s reason', () => {
  expect(skippedName('bpf: stress', NO_MMAP)).toBe(`bpf: stress — skipped: ${NO_MMAP}`);
  expect(skipLine('bpf: stress', { strategy: 'bpf' }, NO_MMAP, 'test/policies.test.ts')).toBe(
    `uringscope kernel gate: skipped "bpf: stress" (test/policies.test.ts): it needs --strategy bpf; doctor: ${NO_MMAP}\n`);
  expect(needText(WITHOUT_OPS)).toBe('--strategy bpf on its map-backed SQPOLL path and a kernel without io_uring bpf-ops');
  expect(needText({ bpfPath: 'ops' })).toBe('--strategy bpf on its bpf-ops path');
  expect(droppedLine('registered buffers', 'bpf', NO_MMAP, 'test/policies.test.ts')).toBe(
    `uringscope kernel gate: "registered buffers" (test/policies.test.ts) runs without --strategy bpf; doctor: ${NO_MMAP}\n`);
  expect([eachName('%s with policy %s', ['echo-tcp', 'echo']), eachName('%s: runaway', 'bpf')]).toEqual(['echo-tcp with policy echo', 'bpf: runaway']);
});

test('a loop over strategies keeps those the kernel runs, in order, and names the rest with the reason', () => {
  expect(splitStrategies(k618, ['bpf', 'user'])).toEqual({ run: ['bpf', 'user'], dropped: [] });
  expect(splitStrategies(k61, ['link', 'user', 'bpf'])).toEqual({ run: ['link', 'user'], dropped: [['bpf', NO_MMAP]] });
});

// The wiring, on jest itself: a met need is jest's own `test`; an unmet one
// registers skipped tests (the body would throw) and one stderr line each.
const lines: string[] = [];
const write = process.stderr.write;
process.stderr.write = ((s: string) => lines.push(s) > 0) as typeof process.stderr.write;
try {
  const on61 = gateOn(k61);
  on61.test({ strategy: 'bpf' })('gate demo (a bpf test on 6.1)', () => {
    throw new Error('an unmet test ran');
  });
  on61.testEach(['bpf'])('gate demo (%s, one row of an each)', () => {
    throw new Error('an unmet row ran');
  });
} finally {
  process.stderr.write = write;
}

test('met: jest\'s own test and describe, unchanged; unmet: skipped, one line each on stderr', () => {
  expect(gateOn(k618).test({ strategy: 'bpf' })).toBe(test);
  expect(gateOn(k618).describe({ bpfPath: 'map' })).toBe(describe);
  expect(lines).toEqual([
    `uringscope kernel gate: skipped "gate demo (a bpf test on 6.1)" (test/unit/kernel-gate.test.ts): it needs --strategy bpf; doctor: ${NO_MMAP}\n`,
    `uringscope kernel gate: skipped "gate demo (bpf, one row of an each)" (test/unit/kernel-gate.test.ts): it needs --strategy bpf; doctor: ${NO_MMAP}\n`,
  ]);
});
