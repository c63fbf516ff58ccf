// `npm run test:kernels`: the kernel matrix. Runs lab/guest-checks.js on this
// machine's kernel and, through scripts/kernel-lab.sh, on each lab kernel
// (Debian's 6.1, 6.12 and newest sid kernel, booted in qemu), then prints the
// README's "Supported kernels" table and "N passed, M failed" over all.
//   node dist/lab/matrix.js [--no-host] [KERNEL...]
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KernelResult } from './results.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const host = !args.includes('--no-host');
const kernels = args.filter((a) => !a.startsWith('--'));
if (!kernels.length) kernels.push('6.1', '6.12', 'sid');
// Per kernel: boot, doctor, the helper, fio and ~20 engine runs under TCG.
const GUEST_TIMEOUT_S = 1500;

// guest-checks prints a line at least every 30 s; this long without one, the
// guest itself has stopped (a TCG guest on a loaded host can stop without a
// line or a kernel message), not a check in it.
const SILENCE_S = Number(process.env.MATRIX_SILENCE_S ?? 180); // smaller only to try the stall path

/** Runs cmd with its lines prefixed; resolves its exit code, or 'stalled' after SILENCE_S without output. */
function run(cmd: string, argv: string[], prefix: string): Promise<number | 'stalled'> {
  return new Promise((done) => {
    // Its own process group: a stalled guest is stopped with qemu and all.
    const child = spawn(cmd, argv, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stalled = false;
    let watchdog: NodeJS.Timeout;
    const quiet = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        stalled = true;
        process.stdout.write(`[${prefix}] no output for ${SILENCE_S} s: the guest has stalled; stopping it\n`);
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }, SILENCE_S * 1000);
    };
    quiet();
    const relay = (to: NodeJS.WriteStream) => (d: Buffer) => {
      quiet();
      for (const line of d.toString().split('\n')) if (line) to.write(`[${prefix}] ${line}\n`);
    };
    child.stdout.on('data', relay(process.stdout));
    child.stderr.on('data', relay(process.stderr));
    child.on('close', (code) => {
      clearTimeout(watchdog);
      done(stalled ? 'stalled' : (code ?? 1));
    });
  });
}

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
    // A guest that stalled, or whose kernel died (exit 125 from the lab, its
    // checks unfinished: seen as an "Oops: int3" under multi-threaded TCG),
    // is booted once more, keeping the checks the first boot finished.
    const lost = (c: number | 'stalled') => c === 'stalled' || (c === 125 && readResult(dir)?.complete === false);
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
