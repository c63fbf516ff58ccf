// The kernel matrix's check names (lab/checks/table.ts), for each kind of
// kernel doctor can report: `--resume` keeps a check from the boot before by
// its name, so a name that changes by accident runs a finished check again
// (and the matrix log's lines are compared across runs by people). The
// kernels with the ops path and bpf-ops run in the lab only; this pins their
// names here too.
import type { DoctorReport } from '../../tracers/doctor.js';
import { contextOf, lab } from '../../lab/checks/context.js';
import { checksFor } from '../../lab/checks/table.js';
import { ROOT } from '../support.js';

/** doctor's report on a kernel whose bpf strategy is `bpf`, with bpf-ops or without. */
function doctorOn(bpf: DoctorReport['strategies']['bpf'], bpfOps: boolean): DoctorReport {
  return {
    type: 'doctor',
    kernel: 'k',
    ok: bpf.ok,
    strategies: { link: { ok: true }, user: { ok: true }, bpf },
    checks: [
      { id: 'tracer', name: 'tracer', status: 'ok', detail: 'loaded' },
      { id: 'bpf_ops', name: 'bpf-ops', status: 'ok', detail: bpfOps ? 'present' : 'absent' },
    ],
  };
}

const names = (doctor: DoctorReport | undefined) => checksFor(contextOf(lab(ROOT, '/nonexistent'), doctor)).map((c) => c.name);

const WORKLOADS = ['copy', 'echo', 'echo-tcp', 'header-body', 'nop-chain', 'open-read-close', 'retry', 'short-read'];
const TRACER = [
  'chains: 1000 linked read->nop->nop',
  'fio: READ completed = total_ios',
  'serve: /metrics while fio runs: READ completed = total_ios',
  'anatomy: NOPs complete inline, their time in issue and complete',
  'anatomy: IOSQE_ASYNC reads go to io-wq, wait for a worker, then run there',
  'anatomy: a recv on an empty socket waits on a poll until its peer writes',
  'anatomy: O_DIRECT reads of a loop device are block IO, their device phases the device\'s reads',
  'anatomy: io_uring_enter waits, what ended each, and the reap after a CQE',
];
const REPEATS = 'short-read under user, 4 runs of 400 chains: exact counts each';
const CLEANUP = 'no BPF program of ours left loaded';

test('a kernel without bpf: the tracer, link and user, the cleanup', () => {
  expect(names(doctorOn({ ok: false, reason: 'no' }, false))).toEqual([
    ...TRACER, ...WORKLOADS.map((w) => `${w} under link, user`), REPEATS, CLEANUP,
  ]);
  // No report from doctor at all: link and user still run.
  expect(names(undefined)).toEqual(names(doctorOn({ ok: false, reason: 'no' }, false)));
});

test('a map-backed bpf kernel: short-read\'s policy under user and bpf', () => {
  expect(names(doctorOn({ ok: true, path: 'map-backed-sqpoll' }, false))).toEqual([
    ...TRACER, ...WORKLOADS.map((w) => `${w} under link, user, bpf`), REPEATS,
    'short-read with C policy short-read under user, bpf',
    CLEANUP,
  ]);
});

test('an ops kernel with bpf-ops: every policy, the ops path\'s own checks, bpf-ops traced', () => {
  expect(names(doctorOn({ ok: true, path: 'ops' }, true))).toEqual([
    ...TRACER, ...WORKLOADS.map((w) => `${w} under link, user, bpf (ops), bpf (ops, 2 rings), bpf (map)`), REPEATS,
    'short-read with C policy short-read under user, bpf (ops), bpf (ops, 2 rings), bpf (map)',
    'header-body with C policy header-body under bpf (ops), bpf (map)',
    'copy with C policy copy under bpf (ops), bpf (map)',
    'echo with C policy echo under bpf (ops), bpf (map)',
    'echo-tcp with C policy echo under bpf (ops), bpf (map)',
    'retry with C policy retry under bpf (ops), bpf (map)',
    'nop-chain with C policy nop-chain under bpf (ops), bpf (map)',
    'open-read-close with C policy open-read-close under bpf (ops), bpf (map)',
    'bpf (ops): a runaway is stopped by the step budget (IOU_LOOP_STOP), nothing left attached',
    'bpf (ops): a policy the verifier refuses is one line naming it',
    'bpf (ops): uringscope killed with SIGKILL mid-run: the engine and its ops go too',
    'bpf-ops: an application ring driven by its own loop_step, traced from outside',
    'bpf-ops: a program gone within a second still has its loop steps and name',
    'bpf-ops: recorded, then reported and exported with its bpfOps',
    'serve: a bpf-ops ring\'s loop steps and SQEs from BPF in /metrics',
    CLEANUP,
  ]);
});
