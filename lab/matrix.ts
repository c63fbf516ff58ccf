// `npm run test:kernels`: the kernel matrix. Runs lab/guest-checks.js on this
// machine's kernel and, through scripts/kernel-lab.sh, on each lab kernel
// (Debian's 6.1, 6.12 and newest sid kernel, booted in qemu), then prints the
// README.md's "Supported kernels" table and "N passed, M failed" over all.
//   node dist/lab/matrix.js [--no-host] [KERNEL...]
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bootLost, relay } from './relay.js';
import type { KernelResult } from './results.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const host = !args.includes('--no-host');
const kernels = args.filter((a) => !a.startsWith('--'));
if (!kernels.length) kernels.push('6.1', '6.12', 'sid');
// Per kernel: boot, doctor, the helper, fio and ~20 engine runs under TCG.
const GUEST_TIMEOUT_S = 1500;

// Seconds without a line from the checks before a guest counts as stalled
// (lab/relay.ts); smaller only to try the stall path.
const SILENCE_S = Number(process.env.MATRIX_SILENCE_S ?? 180);
const run = (cmd: string, argv: string[], prefix: string) => relay(cmd, argv, { cwd: root, prefix, silenceS: SILENCE_S });

function readResult(dir: string): KernelResult | undefined {
  const f = join(dir, 'results.json');
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as KernelResult) : undefined;
}

function cell(r: KernelResult): { tracer: string; linkUser: string; bpf: string } {
  const absent = Object.entries(r.figures ?? {}).filter(([, f]) => !f.measured).map(([n]) => n);
  const variants = Object.values(r.figures ?? {}).flatMap((f) => f.programs).filter((p) => p === 'on_submit_sqe' || p === 'on_complete_args');
  const doctor = r.checks.find((c) => c.name === 'doctor');
  const tracer = !doctor?.ok && !r.figures ? 'no' : absent.length ? `yes, without ${absent.join(', ')}` : 'yes, every figure';
  const v = [...new Set(variants)];
  const lu = r.strategies.link?.ok && r.strategies.user?.ok ? 'yes' : 'no';
  const b = r.strategies.bpf?.ok ? `yes (${r.strategies.bpf.path ?? 'map-backed-sqpoll'})` : `no: ${r.strategies.bpf?.reason ?? 'not checked'}`;
  return { tracer: tracer + (v.length ? ` (variants ${v.join(', ')})` : ''), linkUser: lu, bpf: b };
}

async function main(): Promise<void> {
  const out = mkdtempSync(join(tmpdir(), 'uringscope-matrix-'));
  const results: { name: string; result?: KernelResult; code: number; stalls?: number }[] = [];
  if (host) {
    const dir = join(out, 'host');
    const code = await run(process.execPath, [join(root, 'dist/lab/guest-checks.js'), dir], 'host');
    results.push({ name: 'host', result: readResult(dir), code: code === 'stalled' ? 125 : code });
  }
  for (const k of kernels) {
    const dir = join(out, k);
    const boot = (resume: boolean) => run(join(root, 'scripts/kernel-lab.sh'), [
      'run', k, '--out', dir, '--timeout', String(GUEST_TIMEOUT_S), '--', process.execPath, join(root, 'dist/lab/guest-checks.js'),
      ...(resume ? ['--resume'] : []),
    ], k);
    const lost = (c: number | 'stalled') => bootLost(c, readResult(dir));
    let code = await boot(false);
    let stalls = 0;
    if (lost(code)) {
      stalls++;
      process.stdout.write(`[${k}] booting again; the checks done so far are kept\n`);
      code = await boot(true);
    }
    results.push({ name: k, result: readResult(dir), code: code === 'stalled' ? 125 : code, stalls: lost(code) ? stalls + 1 : stalls });
  }

  let passed = 0;
  let failed = 0;
  const rows = ['| kernel | package | tracer | link / user | bpf | checks |', '|---|---|---|---|---|---|'];
  for (const r of results) {
    if (!r.result) {
      failed++;
      rows.push(`| ${r.name} | (did not run: exit ${r.code}) | | | | |`);
      continue;
    }
    const ok = r.result.checks.filter((c) => c.ok).length;
    passed += ok;
    failed += r.result.checks.length - ok;
    // A guest that died after some checks counts as a failure too.
    if (r.code !== 0 && ok === r.result.checks.length) failed++;
    const c = cell(r.result);
    const esc = (t: string) => t.replace(/\|/g, '\\|'); // a "|" in a reason would split the cell
    const notes = [
      r.result.emulated ? 'qemu TCG' : '',
      r.stalls ? `guest stalled or crashed ${r.stalls}x, booted again` : '',
      r.result.complete === false ? `ended early: exit ${r.code}` : '',
    ].filter(Boolean);
    rows.push(`| ${r.result.kernel} | ${r.result.package} | ${esc(c.tracer)} | ${c.linkUser} | ${esc(c.bpf)} | ${ok}/${r.result.checks.length} passed${notes.length ? ` (${notes.join('; ')})` : ''} |`);
  }
  process.stdout.write(`\nSupported kernels (measured ${new Date().toISOString().slice(0, 10)}; results in ${out})\n${rows.join('\n')}\n\n`);
  process.stdout.write(`kernels: ${passed} passed, ${failed} failed\n`);
  process.exitCode = failed ? 1 : 0;
}

main().catch((e) => {
  process.stderr.write(`matrix: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
