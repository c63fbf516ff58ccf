// npm run bench:strategies — every built-in workload under link, user and
// bpf (declarative steps), under user and bpf with its C policy
// (bpf/policies/), and bpf spread over 2 rings (--rings 2), alternated in
// rounds within one run, at the workload's
// concurrency and at concurrency 1 (one chain at a time: every step waits for
// the one before, the latency-bound case programmable chains are for):
// steps/s, chain p50/p99, io_uring_enter and context switches per step (run
// thread, SQPOLL thread), CPU per step (whole engine process: the SQPOLL
// thread's work is the bpf strategy's cost), and the bpf/user ratios.
// Each bpf row runs on both in-kernel paths where the kernel has them: the
// map-backed SQPOLL ring (map, 6.6+) and upstream bpf-ops (ops, 7.1+: the
// policy in the ring's loop step, one io_uring_enter per run). Under the
// kernel lab (qemu TCG) every figure is emulated: only the ratios of one run
// mean anything, and the tables say so.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../core/package-root.js';
import type { Summary } from '../tracers/summary.js';
import { opsRefusal } from '../workloads/bpf-path.js';

const rounds = Number(process.env.ROUNDS ?? 3);
const workloads = (process.env.WORKLOADS ?? 'nop-chain,short-read,header-body,copy,echo,echo-tcp,retry').split(',');
// '' = the workload's own concurrency
const concurrencies = (process.env.CONCURRENCY ?? ',1').split(',');
const paths = opsRefusal() ? (['map'] as const) : (['map', 'ops'] as const);
type Path = 'map' | 'ops';
type Strategy = 'link' | 'user' | 'user+policy' | `bpf(${Path})` | `bpf(${Path})+policy` | `bpf(${Path})+2rings`;
const strategies = ([
  'link', 'user', 'user+policy',
  ...paths.flatMap((p): Strategy[] => [`bpf(${p})`, `bpf(${p})+policy`, `bpf(${p})+2rings`]),
] as Strategy[]).filter((s) => !process.env.STRATEGIES || process.env.STRATEGIES.split(',').includes(s));
const emulated = process.env.LAB_KERNEL ? ` — EMULATED (qemu TCG, ${process.env.LAB_KERNEL}): absolute figures are not the hardware's, compare ratios only` : '';
/** The C policy written for each built-in (echo serves both echo workloads). */
const policyOf = (w: string) => (w === 'echo-tcp' ? 'echo' : w);
const cli = join(packageRoot(), 'dist', 'bin', 'uringscope.js');

interface Sample {
  stepsPerS: number;
  p50: number;
  p99: number;
  enterPerStep: number;
  appSwitchPerStep: number;
  sqpollSwitchPerStep: number;
  cpuNsPerStep: number;
}

/** Strategies a table has: two rings need at least two chains in flight. */
const strategiesAt = (conc: string) => strategies.filter((s) => conc !== '1' || !s.endsWith('+2rings'));

function once(w: string, s: Strategy, conc: string): Sample {
  const [base, extra] = s.split('+');
  const [strategy, path] = base.replace(')', '').split('(');
  const args = ['run', w, '--strategy', strategy, '--json'];
  if (path) args.push('--bpf-path', path);
  if (extra === 'policy') args.push('--policy', policyOf(w));
  if (extra === '2rings') args.push('--rings', '2');
  if (conc) args.push('--concurrency', conc);
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`run ${w} --strategy ${s} failed (${r.status}): ${r.stderr}`);
  const line = r.stdout.trim().split('\n').pop()!;
  const sum = JSON.parse(line) as Summary;
  const e = sum.engine as { steps: number; wallNs: number; processCpuNs: number; chainLatencyNs: { p50: number; p99: number } };
  const sw = sum.ctxSwitches.byThread;
  return {
    stepsPerS: e.steps / (e.wallNs / 1e9),
    p50: e.chainLatencyNs.p50,
    p99: e.chainLatencyNs.p99,
    enterPerStep: sum.enter.calls / e.steps,
    appSwitchPerStep: (sw.app.voluntary + sw.app.involuntary) / e.steps,
    sqpollSwitchPerStep: (sw.sqpoll.voluntary + sw.sqpoll.involuntary) / e.steps,
    cpuNsPerStep: e.processCpuNs / e.steps,
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const results = new Map<string, Sample[]>();
for (let i = 0; i < rounds; i++) {
  for (const c of concurrencies) {
    for (const w of workloads) {
      // Rotate the strategy order every round so drift hits each alike.
      const here = strategiesAt(c);
      for (let k = 0; k < here.length; k++) {
        const s = here[(i + k) % here.length];
        const key = `${c}/${w}/${s}`;
        results.set(key, [...(results.get(key) ?? []), once(w, s, c)]);
      }
    }
  }
  process.stderr.write(`round ${i + 1}/${rounds} done\n`);
}

const f = (n: number, d = 0) => n.toFixed(d);
const us = (ns: number) => `${(ns / 1e3).toFixed(1)}`;
const div = (a: number, c: number) => (c > 0 ? (a / c).toFixed(2) : 'inf');

function table(conc: string): void {
  console.log(`\n${conc ? `concurrency ${conc}` : "each workload's own concurrency"}: ${rounds} rounds, median per cell; chain latency in µs; switches = voluntary + involuntary${emulated}`);
  console.log('| workload | strategy | steps/s | chain p50 | chain p99 | enter/step | app sw/step | sqpoll sw/step | CPU ns/step |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|');
  const ratios: string[] = [];
  for (const w of workloads) {
    const med: Partial<Record<Strategy, Sample>> = {};
    for (const s of strategiesAt(conc)) {
      const xs = results.get(`${conc}/${w}/${s}`)!;
      const m: Sample = {
        stepsPerS: median(xs.map((x) => x.stepsPerS)),
        p50: median(xs.map((x) => x.p50)),
        p99: median(xs.map((x) => x.p99)),
        enterPerStep: median(xs.map((x) => x.enterPerStep)),
        appSwitchPerStep: median(xs.map((x) => x.appSwitchPerStep)),
        sqpollSwitchPerStep: median(xs.map((x) => x.sqpollSwitchPerStep)),
        cpuNsPerStep: median(xs.map((x) => x.cpuNsPerStep)),
      };
      med[s] = m;
      console.log(`| ${w} | ${s} | ${f(m.stepsPerS)} | ${us(m.p50)} | ${us(m.p99)} | ${f(m.enterPerStep, 4)} | ${f(m.appSwitchPerStep, 4)} | ${f(m.sqpollSwitchPerStep, 4)} | ${f(m.cpuNsPerStep)} |`);
    }
    const pairs: [Sample | undefined, Sample | undefined, string][] = paths.flatMap((p): [Sample | undefined, Sample | undefined, string][] => [
      [med[`bpf(${p})`], med.user, `steps, bpf (${p})`],
      [med[`bpf(${p})+policy`], med['user+policy'], `C policy, bpf (${p})`],
      [med[`bpf(${p})+2rings`], med.user, `steps, bpf (${p}) on 2 rings`],
    ]);
    for (const [b, u, label] of pairs) {
      if (!b || !u) continue;
      ratios.push(`| ${w} | ${label} | ${div(b.stepsPerS, u.stepsPerS)} | ${div(u.enterPerStep, b.enterPerStep)} | ${div(u.appSwitchPerStep, b.appSwitchPerStep)} |`);
    }
  }
  console.log(`\nbpf against user (higher is better for bpf)${emulated}`);
  console.log('| workload | decided by | steps/s ratio | enter/step: user ÷ bpf | app switches/step: user ÷ bpf |');
  console.log('|---|---|---:|---:|---:|');
  for (const r of ratios) console.log(r);
}

for (const c of concurrencies) table(c);
