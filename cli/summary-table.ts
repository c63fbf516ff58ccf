// Human rendering of a Summary (interval or final) as a compact table.
import Table from 'cli-table3';
import type { PathName, PhaseName } from '../native/index.js';
import { ABI } from '../core/abi.js';
import type { Summary } from '../tracers/summary.js';
import { fmtCount, fmtNs, fmtRate, fmtRatio } from '../core/units.js';

/** Borderless cli-table3 style: columns separated by two spaces. */
export const PLAIN = {
  chars: {
    top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '',
    'bottom-left': '', 'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '',
    right: '', 'right-mid': '', middle: '  ',
  },
  style: { head: [] as string[], border: [] as string[], 'padding-left': 0, 'padding-right': 0 },
};

function requestTable(s: Summary): string {
  const t = new Table({
    ...PLAIN,
    head: ['op', 'rate', 'submitted', 'completed', 'cancelled', 'errors', 'p50', 'p90', 'p99', 'max'],
    colAligns: ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
  });
  for (const [op, r] of Object.entries(s.requests)) {
    t.push([
      op,
      fmtRate(r.completed, s.durationNs),
      fmtCount(r.submitted),
      fmtCount(r.completed),
      fmtCount(r.cancelled),
      fmtCount(r.errors),
      fmtNs(r.latencyNs.p50),
      fmtNs(r.latencyNs.p90),
      fmtNs(r.latencyNs.p99),
      fmtNs(r.latencyNs.max),
    ]);
  }
  if (t.length === 0) return '  (no io_uring requests)';
  return t.toString().replace(/^/gm, '  ');
}

/** trace --anatomy: per opcode, the share of its requests that took each path. */
function pathsTable(s: Summary): string | undefined {
  const rows = Object.entries(s.requests).flatMap(([op, r]) => (r.anatomy?.paths ? [[op, r.anatomy.paths, r.latencyNs.count] as const] : []));
  if (!rows.length) return undefined;
  const names = Object.keys(ABI.path) as PathName[];
  const t = new Table({ ...PLAIN, head: ['paths', ...names], colAligns: ['left', ...names.map(() => 'right' as const)] });
  for (const [op, paths, n] of rows) t.push([op, ...names.map((k) => (n ? `${((100 * paths[k]) / n).toFixed(1)}%` : '-'))]);
  return t.toString().replace(/^/gm, '  ');
}

/**
 * trace --anatomy: per opcode, the phases its requests spent time in, in the
 * order of ABI.phase: each phase's share of their summed latency, then its
 * distribution over the requests that spent time in it.
 */
function phasesTable(s: Summary): string | undefined {
  const t = new Table({
    ...PLAIN,
    head: ['where the time goes', 'requests', 'share', 'p50', 'p99', 'max'],
    colAligns: ['left', 'right', 'right', 'right', 'right', 'right'],
  });
  for (const [op, r] of Object.entries(s.requests)) {
    const a = r.anatomy;
    if (!a?.phases || !a.timed) continue;
    for (const name of Object.keys(ABI.phase) as PhaseName[]) {
      const p = a.phases[name];
      if (!p?.count) continue;
      const share = a.timed.ns ? `${((100 * p.sumNs) / a.timed.ns).toFixed(1)}%` : '-';
      t.push([`${op} ${name}`, fmtCount(p.count), share, fmtNs(p.p50), fmtNs(p.p99), fmtNs(p.max)]);
    }
  }
  return t.length ? t.toString().replace(/^/gm, '  ') : undefined;
}

/** io_uring_enter's waits for CQEs: how long off the CPU, what ended them; with --anatomy, the reap after. */
function waitsLine(s: Summary): string | undefined {
  const w = s.waits;
  if (!w) return undefined;
  const e = w.ended;
  const reap = s.reap?.count ? `; reap p50 ${fmtNs(s.reap.p50)} p99 ${fmtNs(s.reap.p99)} max ${fmtNs(s.reap.max)}` : '';
  return `  waits ${fmtCount(w.count)}, ${fmtNs(w.offCpuNs)} off-CPU: ended by events ${fmtCount(e.events)}, timeout ${fmtCount(e.timeout)}, signal ${fmtCount(e.signal)}, error ${fmtCount(e.error)}${reap}`;
}

function switchesLine(s: Summary): string {
  const k = s.ctxSwitches.byThread;
  const part = (name: string, v: { voluntary: number; involuntary: number }) =>
    `${name} ${fmtCount(v.voluntary)}v/${fmtCount(v.involuntary)}i`;
  return `  ctx switches: ${part('app', k.app)}  ${part('sqpoll', k.sqpoll)}  ${part('iowq', k.iowq)}  off-cpu app ${fmtNs(k.app.offCpuNs)}`;
}

export function renderSummary(s: Summary, title: string): string {
  const submitted = Object.values(s.requests).reduce((a, r) => a + r.submitted, 0);
  const lines = [
    `── ${title} (${fmtNs(s.durationNs)}) ${'─'.repeat(Math.max(0, 60 - title.length))}`,
    requestTable(s),
    ...[pathsTable(s), phasesTable(s)].filter((x): x is string => !!x),
    `  links broken ${fmtCount(s.failLinks)}  req failed ${fmtCount(s.reqFailed)}  cq overflows ${fmtCount(s.cqOverflows)}  io-wq punts ${fmtCount(s.asyncPunts)}  poll arms ${fmtCount(s.pollArms)}  task work ${fmtCount(s.taskWork.runs + s.taskWork.localRuns)}`,
    `  io_uring_enter ${fmtCount(s.enter.calls)} calls, ${fmtRatio(submitted, s.enter.calls)} req/call, ${fmtNs(s.enter.timeNs)} inside`,
    ...[waitsLine(s)].filter((x): x is string => !!x),
    switchesLine(s),
  ];
  if (s.bpfOps) {
    const o = s.bpfOps;
    const progs = o.programs.map((p) => `${p.name}#${p.id}`).join(', ');
    lines.push(`  bpf-ops${progs ? ` (${progs})` : ''}: ${fmtCount(o.loopSteps)} loop steps, ${fmtNs(o.runNs)} in BPF (${fmtNs(o.loopSteps ? o.runNs / o.loopSteps : 0)}/step)  ${fmtCount(o.loopRuns)} loop runs (${fmtCount(o.stops)} stopped, ${fmtCount(o.errors)} failed)  SQEs from BPF ${fmtCount(o.sqesFromBpf)}, from userspace ${fmtCount(o.sqesFromUser)}`);
  }
  const extra: string[] = [`drops ${fmtCount(s.drops)}`];
  if (s.events) extra.push(`events ${fmtCount(s.events.received)}`);
  if (s.untracked.completions) extra.push(`completions of earlier submits ${fmtCount(s.untracked.completions)}`);
  if (s.untracked.neverCompleted) extra.push(`never completed ${fmtCount(s.untracked.neverCompleted)}`);
  if (s.untracked.evicted) extra.push(`untimed (slot taken) ${fmtCount(s.untracked.evicted)}`);
  if (s.untracked.processes) extra.push(`PROCESSES NOT TRACED (targets table full) ${fmtCount(s.untracked.processes)}`);
  if (s.untracked.threadEvents) extra.push(`thread events not counted (threads table full) ${fmtCount(s.untracked.threadEvents)}`);
  lines.push(`  ${extra.join('  ')}`);
  // Figures this kernel cannot give: the counts above show 0 for them.
  if (s.absent) lines.push(`  not measured on this kernel: ${Object.keys(s.absent).join(', ')} (uringscope doctor says why)`);
  return lines.join('\n');
}
