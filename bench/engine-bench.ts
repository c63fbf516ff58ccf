// npm run bench:engine — the engine (`uringscope-engine`, strategy user,
// run directly without the tracer, read checksums off: raw_chains does not
// checksum, and FNV over every byte would dominate the copy) against the same loop written directly in
// C against liburing (bench/raw_chains.c), alternated in rounds within one
// run: nop-chain and a 64 MiB copy in 64 KiB chunks. Prints steps/s and the
// engine/raw ratio.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../core/package-root.js';
import { compilePlan } from '../workloads/plan.js';
import type { WorkloadSpec } from '../workloads/spec.js';

const rounds = Number(process.env.ROUNDS ?? 5);
const root = packageRoot();
const engine = join(root, 'build', 'uringscope-engine');
const raw = join(root, 'build', 'bench', 'raw_chains');
const dir = mkdtempSync(join(tmpdir(), 'uringscope-bench-engine-'));

const NOP_CHAINS = 500000;
const NOP_STEPS = 8;
const NOP_CONC = 32;
const COPY_BYTES = 64 << 20;
const CHUNK = 65536;
const COPY_CONC = 4;

const nopSpec: WorkloadSpec = {
  name: 'nop-bench',
  description: 'nop chains',
  steps: Array.from({ length: NOP_STEPS }, () => ({ op: 'nop' as const })),
  chains: NOP_CHAINS,
  concurrency: NOP_CONC,
};
const copySpec: WorkloadSpec = {
  name: 'copy-bench',
  description: 'copy in chunks',
  targets: { src: { kind: 'path', path: join(dir, 'src') }, dst: { kind: 'file', size: 0 } },
  steps: [
    { op: 'read', target: 'src', len: CHUNK, offset: { perChain: CHUNK } },
    { op: 'write', target: 'dst', len: 'previous', offset: { sameAs: 0 } },
  ],
  chains: COPY_BYTES / CHUNK,
  concurrency: COPY_CONC,
  bufferBytes: CHUNK,
};

function stepsPerS(cmd: string, args: string[], parse: (out: string) => { steps: number; ns: number }): number {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`);
  const { steps, ns } = parse(r.stdout);
  return steps / (ns / 1e9);
}

function engineRun(spec: WorkloadSpec, name: string): number {
  const plan = join(dir, `${name}.plan`);
  writeFileSync(plan, compilePlan(spec, { strategy: 'user', checksum: false }, dir));
  return stepsPerS(engine, [plan], (out) => {
    const e = JSON.parse(out.trim().split('\n').pop()!) as { steps: number; wallNs: number };
    return { steps: e.steps, ns: e.wallNs };
  });
}

function rawRun(args: string[]): number {
  return stepsPerS(raw, args, (out) => {
    const m = /steps=(\d+) elapsed_ns=(\d+)/.exec(out)!;
    return { steps: Number(m[1]), ns: Number(m[2]) };
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

writeFileSync(join(dir, 'src'), Buffer.alloc(COPY_BYTES, 3));
const cases: [string, () => number, () => number][] = [
  ['nop-chain (8 NOPs, 32 in flight)', () => engineRun(nopSpec, 'nop'), () => rawRun(['nop', String(NOP_CHAINS), String(NOP_STEPS), String(NOP_CONC)])],
  ['copy 64 MiB in 64 KiB chunks (4 in flight)', () => engineRun(copySpec, 'copy'), () => rawRun(['copy', join(dir, 'src'), join(dir, 'dst-raw'), String(CHUNK), String(COPY_CONC)])],
];
const res = cases.map(() => ({ engine: [] as number[], raw: [] as number[] }));
for (let i = 0; i < rounds; i++) {
  cases.forEach(([, e, r], k) => {
    // Alternate which goes first each round.
    if (i % 2) {
      res[k].raw.push(r());
      res[k].engine.push(e());
    } else {
      res[k].engine.push(e());
      res[k].raw.push(r());
    }
  });
  process.stderr.write(`round ${i + 1}/${rounds}\n`);
}
rmSync(dir, { recursive: true, force: true });
console.log(`${rounds} rounds, alternated; median steps/s`);
console.log('| workload | engine (user) | raw liburing | engine ÷ raw |');
console.log('|---|---:|---:|---:|');
cases.forEach(([name], k) => {
  const e = median(res[k].engine);
  const r = median(res[k].raw);
  console.log(`| ${name} | ${Math.round(e)} | ${Math.round(r)} | ${(e / r).toFixed(3)} |`);
});
