// Compiles a validated WorkloadSpec into the engine's plan text
// (native/engine/plan.h): targets become fd-table entries, steps the
// numeric fields of struct us_step (bpf/chain.h).
import type { BpfPath } from '../core/engine-result.js';
import { constants } from 'node:os';
import { join } from 'node:path';
import { ABI } from '../core/abi.js';
import type { Strategy } from '../core/strategy.js';
import { planLine } from './plan-text.js';
import type { PolicyBuild } from './policy.js';
import type { LengthRule, OffsetRule, StepOp, StepSpec, TargetSpec, WorkloadSpec } from './spec.js';

export type { Strategy } from '../core/strategy.js';

// enum us_op, us_len_mode, us_off_mode, ... in bpf/chain.h (via core/abi.ts)
const OP: Record<StepOp, number> = ABI.op;
const LEN = ABI.lenMode;
const OFF = ABI.offMode;
const SHORT = ABI.onShort;
const ZERO = ABI.onZero;
const ERR = ABI.onError;
const FLAG = ABI.stepFlag;

export interface RunOverrides {
  strategy: Strategy;
  /** Strategy bpf: steps the in-kernel policy may issue before the run is stopped (0 = unlimited). */
  stepBudget?: number;
  /** Checksum every byte read (default true): benchmarks of pure overhead turn it off. */
  checksum?: boolean;
  chains?: number;
  durationS?: number;
  concurrency?: number;
  progressMs?: number;
  /** Strategy bpf: SQPOLL rings (one kernel thread each, pinned to its own CPU) the chains are spread over. */
  rings?: number;
  /** A compiled C policy (strategies user and bpf): it decides instead of the steps. */
  policyBuild?: PolicyBuild;
  /** Strategy bpf: the path chosen for this kernel (workloads/bpf-path.ts). */
  bpfPath?: BpfPath;
}

/** fd-table index of every target endpoint ("in", "sock.a", "sock.b"). */
export function fdTable(targets: Record<string, TargetSpec>): Map<string, number> {
  const m = new Map<string, number>();
  for (const [name, t] of Object.entries(targets)) {
    if (t.kind === 'file' || t.kind === 'path') m.set(name, m.size);
    else {
      m.set(`${name}.a`, m.size);
      m.set(`${name}.b`, m.size);
    }
  }
  return m;
}

function seedOf(name: string): bigint {
  // FNV-1a of the name: each target's content is fixed by its name.
  let h = 0xcbf29ce484222325n;
  for (const ch of Buffer.from(name)) h = ((h ^ BigInt(ch)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h;
}

function errnoOf(name: string): number {
  const n = (constants.errno as Record<string, number>)[name];
  if (n === undefined) throw new Error(`unknown errno name ${name}`);
  return n;
}

function lenFields(len: LengthRule | undefined): Record<string, number> {
  if (len === undefined) return { len_mode: LEN.fixed, len: 0 };
  if (typeof len === 'number') return { len_mode: LEN.fixed, len };
  if (len === 'previous') return { len_mode: LEN.previous };
  return { len_mode: LEN.header, ref: len.header.step, header_at: len.header.at ?? 0 };
}

function offFields(off: OffsetRule | undefined): Record<string, number | string> {
  if (off === undefined) return { off_mode: OFF.fixed, off: 0 };
  if (typeof off === 'number') return { off_mode: OFF.fixed, off };
  if (off === 'continue') return { off_mode: OFF.continue };
  if ('perChain' in off) return { off_mode: OFF.perChain, off: off.base ?? 0, stride: off.perChain };
  return { off_mode: OFF.sameAs, ref: off.sameAs };
}

/** The largest buffer any step needs, when the spec does not say. */
export function bufferBytes(spec: WorkloadSpec): number {
  if (spec.bufferBytes) return spec.bufferBytes;
  let need = 0;
  for (const s of spec.steps) {
    const len = typeof s.len === 'number' ? s.len : 0;
    need = Math.max(need, (s.bufOffset ?? 0) + len);
  }
  return Math.max(4096, need);
}

function stepLine(s: StepSpec, fds: Map<string, number>): string {
  const f: Record<string, number | string> = {
    op: OP[s.op],
    fd: s.target !== undefined ? (fds.get(s.target) ?? 0) : 0,
    ...lenFields(s.len),
    ...offFields(s.offset),
    buf_off: s.bufOffset ?? 0,
    on_short: SHORT[s.onShort ?? 'continue'],
    on_zero: ZERO[s.onZero ?? 'stop'],
    on_error: ERR[s.onError ?? 'fail'],
    retries: s.retries ?? 3,
    flags: (s.hardlink ? FLAG.hardlink : 0) | (s.async ? FLAG.async : 0) | (s.dontwait ? FLAG.dontwait : 0),
    timeout_ns: s.timeoutNs ?? 0,
    fd_from: s.fdFrom ?? -1,
  };
  if (s.expect?.length) f.expect = s.expect.map(errnoOf).join(',');
  return planLine('step', f);
}

/** The two `policy` lines of a compiled C policy (its BPF object and its shared object). */
export function policyLines(pb: PolicyBuild): string[] {
  return [
    planLine('policy', { name: pb.name, kind: 'bpf', path: pb.bpfObject }),
    planLine('policy', { name: pb.name, kind: 'native', path: pb.nativeObject }),
  ];
}

/** The plan text for `uringscope-engine`; scratch files go to `scratchDir`. */
export function compilePlan(spec: WorkloadSpec, o: RunOverrides, scratchDir: string): string {
  const targets = spec.targets ?? {};
  const fds = fdTable(targets);
  const lines: string[] = [];
  const chains = o.chains ?? spec.chains ?? 1000;
  const durationNs = o.durationS !== undefined ? Math.round(o.durationS * 1e9) : 0;
  lines.push(
    planLine('run', {
      strategy: o.strategy, chains, duration_ns: durationNs, concurrency: o.concurrency ?? spec.concurrency ?? 16,
      rate: spec.rate ?? 0, buffer: bufferBytes(spec), progress_ms: o.progressMs ?? 0, step_budget: o.stepBudget ?? 0,
      checksum: o.checksum === false ? 0 : 1, bpf_path: o.bpfPath === 'ops' ? 'ops' : 'map',
    }),
  );
  const r = spec.ring ?? {};
  lines.push(
    planLine('ring', {
      entries: r.entries ?? 256, exact_entries: r.entries !== undefined ? 1 : 0, sqpoll: r.sqpoll ? 1 : 0,
      idle_ms: r.sqThreadIdleMs ?? 100, defer_taskrun: r.deferTaskrun ? 1 : 0,
      registered_buffers: r.registeredBuffers ? 1 : 0, registered_files: r.registeredFiles ? 1 : 0, rings: o.rings ?? 1,
    }),
  );
  for (const [name, t] of Object.entries(targets)) {
    if (t.kind === 'file') {
      lines.push(
        planLine('target', {
          name, kind: 'file', size: t.size, content: t.content ?? 'zero',
          records: t.records?.count, max_body: t.records?.maxBody,
          direct: t.direct ? 1 : 0, seed: seedOf(name), path: join(scratchDir, name),
        }),
      );
    } else if (t.kind === 'path') {
      lines.push(planLine('target', { name, kind: 'path', path: t.path }));
    } else {
      lines.push(planLine('target', { name, kind: t.kind }));
    }
  }
  for (const s of spec.steps) lines.push(stepLine(s, fds));
  const pb = o.policyBuild;
  if (pb && o.strategy !== 'link') lines.push(...policyLines(pb));
  return lines.join('\n') + '\n';
}
