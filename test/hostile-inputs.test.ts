// Hostile inputs: flags and workload fields at and past what the
// code can hold, files that are not what they claim, deep JSON, odd
// policies and targets. Each case ends with one line on stderr naming the
// flag or the JSON path and what is expected, a non-zero exit, no stack
// trace, and no run directory left behind. Then a bounded, seeded fuzz of a
// built-in workload's JSON.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, collect, mountTmpfs, prng, scratchDir, startCli, type CliResult } from './support.js';
import { freePort } from './serve-support.js';
import { parseWorkload } from '../workloads/load.js';
import { UserError } from '../core/user-error.js';

const BUILTIN = join(ROOT, 'workloads', 'builtin');
const base = scratchDir();
/** A small filesystem for scratch files: whatever a case gets wrong cannot fill the real disk. */
let small = '';

function runDirs(): string[] {
  return readdirSync(tmpdir()).filter((d) => d.startsWith('uringscope-run-'));
}

/** The CLI with a deadline: SIGTERM at `ms` (a run stops and reports), SIGKILL a second later. */
async function runCapped(args: string[], ms = 15000): Promise<CliResult & { timedOut: boolean }> {
  const child: ChildProcess = startCli(args, { cwd: base });
  let timedOut = false;
  const t1 = setTimeout(() => {
    timedOut = true;
    child.kill('SIGTERM');
  }, ms);
  const t2 = setTimeout(() => child.kill('SIGKILL'), ms + 1000);
  const r = await collect(child);
  clearTimeout(t1);
  clearTimeout(t2);
  return { ...r, timedOut };
}

/** One refusal: the exit code, exactly one stderr line matching `re`, no stack, no run directory left. */
async function expectRefused(args: string[], code: number, re: RegExp, ms?: number): Promise<void> {
  const before = new Set(runDirs());
  const r = await runCapped(args, ms);
  const lines = r.stderr.replace(/\n$/, '').split('\n');
  expect({ args, timedOut: r.timedOut, code: r.code, lines }).toEqual({ args, timedOut: false, code, lines: [expect.stringMatching(re)] });
  expect(r.stderr).not.toMatch(/Error:|\n\s+at |internal error/);
  expect(runDirs().filter((d) => !before.has(d))).toEqual([]);
}

let recorded: string | undefined;
/** A short recording with --events (short-read, 20 chains), made once. */
async function recording(): Promise<string> {
  if (recorded) return recorded;
  const f = join(base, 'short.usrec');
  const r = await runCapped(['record', '-o', f, '--events', 'short-read', '--chains', '20']);
  expect(r.code).toBe(0);
  return (recorded = f);
}

function builtin(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(BUILTIN, `${name}.json`), 'utf8')) as Record<string, unknown>;
}

/** Writes a workload file into the test directory (its name must match the file only for catalog names). */
function workload(file: string, text: string | Record<string, unknown>): string {
  const p = join(base, file);
  writeFileSync(p, typeof text === 'string' ? text : JSON.stringify(text));
  return p;
}

beforeAll(() => {
  small = mountTmpfs(join(base, 'small'), '8m');
});

describe('flags past what the code holds: one line naming the flag, exit 2', () => {
  test('--step-budget 0 / -1', async () => {
    for (const v of ['0', '-1']) await expectRefused(['run', 'nop-chain', '-s', 'user', '--step-budget', v], 2, /^uringscope: --step-budget must be a positive integer/);
  });
  test('--interval 0 / -5', async () => {
    for (const v of ['0', '-5']) await expectRefused(['run', 'nop-chain', '--interval', v], 2, /^uringscope: --interval must be a number of milliseconds from 50 to 3600000/);
  });
  test('--ring-mb 3 / 0 / -1 / 4096: a power of two from 1 to 1024', async () => {
    for (const v of ['3', '0', '-1', '4096']) await expectRefused(['trace', '--ring-mb', v, '--', 'true'], 2, /^uringscope: --ring-mb must be a power of two from 1 to 1024/);
  });
  test('--inflight-entries 0 / -3 / 1e12', async () => {
    for (const v of ['0', '-3', '1e12']) await expectRefused(['trace', '--inflight-entries', v, '--', 'true'], 2, /^uringscope: --inflight-entries must be an integer from 1024 to 16777216/);
  });
  test('-n 1e308 (ran one chain)', async () => {
    await expectRefused(['run', 'nop-chain', '-n', '1e308'], 2, /^uringscope: --chains must be an integer from 1 to 4294967296 \(got 1e\+308\)/);
  });
  test('--duration 1e308, for run and trace', async () => {
    await expectRefused(['run', 'nop-chain', '--duration', '1e308'], 2, /^uringscope: --duration must be a number of seconds above 0 to 2000000/);
    await expectRefused(['trace', '--duration', '1e308', '--', 'true'], 2, /^uringscope: --duration must be a number of seconds from 0 to 2000000/);
  });
  test('serve --interval 2147483648 / 1e12 (Node fires a longer timer after 1 ms: thousands of OTLP pushes a second)', async () => {
    for (const v of ['2147483648', '1e12']) {
      await expectRefused(['serve', '--all', '--listen', `127.0.0.1:${await freePort()}`, '--otlp', 'http://127.0.0.1:9', '--interval', v], 2, /^uringscope: --interval must be a number of milliseconds from 100 to 3600000 \(got (2147483648|1000000000000)\)$/, 5000);
    }
  });
  test('--fps 0.000000001 for top and the session (a redraw every 1 ms once Node clamps the timer)', async () => {
    const fps = /^uringscope: --fps must be a number of refreshes per second from 0\.1 to 30 \(got 1e-9\)$/;
    await expectRefused(['top', '--pid', String(process.pid), '--fps', '0.000000001'], 2, fps);
    await expectRefused(['--fps', '0.000000001'], 2, fps);
  });
  test('--pid past PID_MAX_LIMIT (4294967297 wraps to pid 1 in the tracer\'s u32)', async () => {
    await expectRefused(['trace', '--pid', '4294967297'], 2, /^uringscope: --pid takes positive integer process ids up to 4194303 \(got 4294967297\)$/);
  });
  test('replay --speed 1e-300 (Infinity once it divides the start times) and 1e-10 (chain starts spread over 88 million s)', async () => {
    const rec = await recording();
    for (const v of ['1e-300', '1e-10']) {
      await expectRefused(['replay', rec, '--speed', v], 2, new RegExp(`^uringscope: --speed must be 0 \\(every chain at once\\) or a factor from 0\\.001 to 1000000 \\(got ${v}\\)$`));
    }
  });
});

describe('workload fields past what the engine holds: one line naming the file and the JSON path, exit 2', () => {
  test('"offset": 2^64+5 is not an exact JSON number', async () => {
    const text = JSON.stringify({ ...builtin('short-read'), name: 'off' }).replace('"offset":0', '"offset":18446744073709551621');
    const f = workload('off.json', text);
    await expectRefused(['run', f], 2, /^uringscope: .*off\.json: \/steps\/0\/offset: must be an exact integer, at most 2\^53-1/);
  });
  test('"rate": 1e-300 (a run that never starts its next chain)', async () => {
    const f = workload('rate.json', { ...builtin('nop-chain'), name: 'rate', rate: 1e-300 });
    await expectRefused(['run', f, '-n', '2'], 2, /^uringscope: .*rate\.json: \/rate: must be 0 \(as fast as possible\) or at least 0\.001/);
  });
  test('"concurrency": 1e9 (a ring past what io_uring_setup accepts)', async () => {
    const f = workload('conc.json', { ...builtin('nop-chain'), name: 'conc', concurrency: 1e9 });
    await expectRefused(['run', f, '-n', '2'], 2, /^uringscope: .*conc\.json: \/concurrency: must be <= 16383/);
  });
  test('--concurrency that a linked chain cannot fit in one ring', async () => {
    await expectRefused(['run', 'nop-chain', '-c', '16000', '-n', '2'], 2, /^uringscope: --concurrency: 16000 linked chains of 8 steps need 128001 ring entries; io_uring holds at most 32768 \(use at most 4095\) for workload nop-chain$/);
  });
  test('"bufferBytes": 2^32 and 2^32+16384 (wrapped to 0 / 16384 in the engine)', async () => {
    for (const v of [2 ** 32, 2 ** 32 + 16384]) {
      const f = workload('buf.json', { ...builtin('short-read'), name: 'buf', bufferBytes: v, chains: 4 });
      await expectRefused(['run', f, '-s', 'user', '--scratch', small], 2, /^uringscope: .*buf\.json: \/bufferBytes: must be <= 268435456/, 8000);
    }
  });
});

describe('scratch files that cannot fit', () => {
  test('"size": 2^50 is past the 1 TiB cap', async () => {
    const w = builtin('short-read');
    const f = workload('huge.json', { ...w, name: 'huge', targets: { in: { kind: 'file', size: 2 ** 50, content: 'random' } } });
    await expectRefused(['run', f, '--scratch', small, '-n', '2'], 2, /^uringscope: .*huge\.json: \/targets\/in\/size: must be <= 1099511627776/, 8000);
  });
  test('a size above the free space of the scratch directory is refused before anything is written', async () => {
    const st = statfsSync(small);
    const size = st.bavail * st.bsize + 4 * 1048576;
    const w = builtin('short-read');
    const f = workload('big.json', { ...w, name: 'big', targets: { in: { kind: 'file', size, content: 'random' } } });
    await expectRefused(['run', f, '--scratch', small, '-n', '2'], 2, new RegExp(`^uringscope: .*big\\.json: /targets/in/size: the scratch file needs .* \\(size ${size}\\) but .*small has .* MiB free`), 8000);
    expect(readdirSync(small)).toEqual([]);
  });
});

describe('targets, JSON and policies that are not what they claim', () => {
  test('a path target that is a character device (/dev/zero spun forever)', async () => {
    const f = workload('zero.json', { ...builtin('short-read'), name: 'zero', targets: { in: { kind: 'path', path: '/dev/zero' } } });
    await expectRefused(['run', f, '-n', '2'], 2, /^uringscope: .*zero\.json: \/targets\/in\/path: cannot read \/dev\/zero: a character device: a path target must be a regular file/, 8000);
  });
  test('two recordings concatenated: the second file header is named, not read as a "type 1163023189" chunk', async () => {
    const rec = await recording();
    const one = readFileSync(rec);
    const both = join(base, 'both.usrec');
    writeFileSync(both, Buffer.concat([one, one]));
    const n = one.length;
    await expectRefused(['report', both], 3, new RegExp(`^uringscope: .*both\\.usrec: incomplete recording, corrupt at byte ${n}: a second recording's file header \\("USREC"\\) starts here: two recordings concatenated\\? The first one ends at byte ${n} \\(\`head -c ${n}\` keeps it\\)`));
  });
  test('a workload number past the largest double (1e400, read as Infinity) says so, not "(got null)"', async () => {
    const f = workload('inf.json', JSON.stringify({ ...builtin('short-read'), name: 'inf' }).replace('"offset":0', '"offset":1e400'));
    await expectRefused(['run', f], 2, /^uringscope: .*inf\.json: \/steps\/0\/offset: number out of range: past ±1\.7976931348623157e\+308, the largest a JSON number can be, so it reads as Infinity$/);
  });
  test('JSON nested 5000 levels deep (a stack overflow in the validator)', async () => {
    const f = workload('deep.json', `{"name": ${'['.repeat(5000)}${']'.repeat(5000)}}`);
    await expectRefused(['run', f], 2, /^uringscope: .*deep\.json: \/name\/0\/0.*: nested deeper than 64 levels/);
  });
  test('--policy: a directory, a missing file, an empty file', async () => {
    const dir = join(base, 'dir.c');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(base, 'empty.c'), '');
    await expectRefused(['run', 'nop-chain', '-s', 'user', '-n', '2', '--policy', dir], 2, /^uringscope: policy file .*dir\.c is a directory/);
    await expectRefused(['run', 'nop-chain', '-s', 'user', '-n', '2', '--policy', join(base, 'nope.c')], 2, /^uringscope: policy file .*nope\.c not found/);
    await expectRefused(['run', 'nop-chain', '-s', 'user', '-n', '2', '--policy', join(base, 'empty.c')], 2, /^uringscope: policy file .*empty\.c is empty/);
  });
  test('--policy without entry points, or calling an undefined function: named by the symbol, no libbpf line', async () => {
    writeFileSync(join(base, 'noentry.c'), '#include <uringscope.h>\nint unused;\n');
    writeFileSync(join(base, 'undef.c'), '#include <uringscope.h>\nint nosuch_helper(int);\nUS_ON_START(c) { return nosuch_helper(1); }\nUS_ON_COMPLETE(c, e) { return 0; }\n');
    await expectRefused(['run', 'nop-chain', '-s', 'user', '-n', '2', '--policy', join(base, 'noentry.c')], 1, /^uringscope: workload nop-chain: policy noentry\.c has no US_ON_COMPLETE\(c, e\) entry point/, 60000);
    await expectRefused(['run', 'nop-chain', '-s', 'user', '-n', '2', '--policy', join(base, 'undef.c')], 1, /^uringscope: workload nop-chain: policy undef\.c calls nosuch_helper\(\), which it does not define/, 60000);
  });
});

describe('smaller ones', () => {
  test('a workload FIFO is read once (a second open waited for a second writer)', async () => {
    const fifo = join(base, 'w.fifo');
    execFileSync('mkfifo', [fifo]);
    const load = join(ROOT, 'dist', 'workloads', 'load.js');
    // The TUI loads a workload for its list and again for each run: two loads, one writer.
    const child = spawn(process.execPath, ['--input-type=module', '-e',
      `const m = await import(${JSON.stringify(load)}); m.loadWorkloadFile(${JSON.stringify(fifo)}); const s = m.loadWorkloadFile(${JSON.stringify(fifo)}); console.log(s.name);`],
    { stdio: ['ignore', 'pipe', 'pipe'] });
    const writer = spawn('sh', ['-c', `cat ${join(BUILTIN, 'nop-chain.json')} > ${fifo}`]);
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    const r = await collect(child);
    clearTimeout(kill);
    writer.kill();
    expect([r.code, r.stdout.trim()]).toEqual([0, 'nop-chain']);
  });
  test('trace -- a file that is not executable: one line, exit 126 as from a shell', async () => {
    await expectRefused(['trace', '--', '/etc/passwd'], 126, /^uringscope: not executable: \/etc\/passwd/);
  });
  test('--pid of a zombie says so', async () => {
    // `true &` exits at once and `exec sleep` never reaps it: a zombie for as long as the sleep runs.
    const parent = spawn('sh', ['-c', 'true & exec sleep 20'], { stdio: 'ignore' });
    let zombie = 0;
    for (let i = 0; i < 100 && !zombie; i++) {
      await new Promise((r) => setTimeout(r, 20));
      const out = execFileSync('ps', ['-o', 'pid=,stat=', '--ppid', String(parent.pid)], { encoding: 'utf8' }).trim();
      const z = out.split('\n').map((l) => l.trim().split(/\s+/)).find(([, st]) => st?.startsWith('Z'));
      if (z) zombie = Number(z[0]);
    }
    try {
      expect(zombie).toBeGreaterThan(0);
      await expectRefused(['trace', '--pid', String(zombie)], 1, new RegExp(`^uringscope: pid ${zombie} is a zombie: it has exited and its parent, pid ${parent.pid}, has not reaped it`));
    } finally {
      parent.kill();
    }
  });
  test('ESC, NUL and RTL characters of user input are escaped in the error line', async () => {
    const r1 = await runCapped(['run', `x\u001b[2J\u202ey.json`]);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toBe('uringscope: cannot read workload file x\\x1b[2J\\u202ey.json: ENOENT (no such file)\n');
    const f = workload('names.json', { ...builtin('nop-chain'), name: 'names', targets: { 'a\u202e\u0000b': { kind: 'pipe' } } });
    const r2 = await runCapped(['run', f]);
    expect(r2.code).toBe(2);
    expect(r2.stderr.split('\n')).toHaveLength(2);
    expect(r2.stderr).not.toMatch(/[\u0000\u001b\u202e]/);
    expect(r2.stderr).toMatch(/\/targets: name "a\\u202e\\u0000b" must be/);
  });
});

// ---------------------------------------------------------------------------
// A bounded fuzz: seeded mutations of a built-in workload. Every one is
// parsed in-process (accepted, or one UserError line, exit 2: nothing else
// may escape), and a fixed sample goes through the real CLI with a deadline.

const WEIRD: unknown[] = [null, true, 'x', '', -1, 0, 1.5, 1e308, 2 ** 53 + 2, 2 ** 64, -(2 ** 63), [], {}, [1, 2], { kind: 'file' }, 'continue', 'previous'];

/** Every (container, key) in a value, for picking a place to change. */
function places(v: unknown, out: [Record<string, unknown> | unknown[], string | number][] = []): typeof out {
  if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      out.push([v as Record<string, unknown>, Array.isArray(v) ? Number(k) : k]);
      places(x, out);
    }
  }
  return out;
}

function mutate(text: string, rnd: () => number): string {
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const kind = Math.floor(rnd() * 4);
  if (kind === 0) {
    // flip one bit of one byte
    const b = Buffer.from(text);
    const i = Math.floor(rnd() * b.length);
    b[i] ^= 1 << Math.floor(rnd() * 8);
    return b.toString('latin1');
  }
  if (kind === 1) return text.slice(0, Math.floor(rnd() * text.length)); // truncated
  const doc = JSON.parse(text) as Record<string, unknown>;
  const ps = places(doc);
  const n = 1 + Math.floor(rnd() * 3);
  for (let k = 0; k < n; k++) {
    const [obj, key] = pick(ps);
    const cur = (obj as Record<string, unknown>)[key as string];
    // type swap, or a number bit flip (a plausible value, off by one bit)
    (obj as Record<string, unknown>)[key as string] = kind === 3 && typeof cur === 'number' && Number.isInteger(cur)
      ? Number(BigInt(cur) ^ (1n << BigInt(Math.floor(rnd() * 63))))
      : pick(WEIRD);
  }
  return JSON.stringify(doc);
}

describe('fuzz: mutated built-in workloads', () => {
  const seeds = ['short-read', 'copy', 'header-body', 'retry'];
  const rnd = prng(12);
  const cases = Array.from({ length: 200 }, (_, i) => mutate(readFileSync(join(BUILTIN, `${seeds[i % seeds.length]}.json`), 'utf8'), rnd));

  test('200 mutations parsed: accepted, or one UserError line, exit 2', () => {
    let accepted = 0;
    for (const text of cases) {
      try {
        parseWorkload(text, 'fuzz.json');
        accepted++;
      } catch (e) {
        expect(e).toBeInstanceOf(UserError);
        expect((e as UserError).exitCode).toBe(2);
        expect((e as UserError).message).not.toMatch(/\n/);
        expect((e as UserError).message).toMatch(/^fuzz\.json: /);
      }
    }
    expect(accepted).toBeLessThan(cases.length); // the mutations do bite
  });

  test('a sample through the real CLI: allowed exit, at most one stderr line, no stack, no hang, nothing left', async () => {
    const start = Date.now();
    const before = new Set(runDirs());
    // every 14th mutation: 15 runs, a few seconds each at most
    for (let i = 0; i < cases.length; i += 14) {
      const f = workload('fuzz.json', cases[i]);
      const r = await runCapped(['run', f, '-s', 'user', '-n', '3', '-c', '2', '--scratch', small, '--json'], 10000);
      const lines = r.stderr.split('\n').filter(Boolean);
      expect({ i, timedOut: r.timedOut, signal: r.signal }).toEqual({ i, timedOut: false, signal: null });
      expect({ i, code: [0, 1, 2].includes(r.code ?? -1) }).toEqual({ i, code: true });
      expect({ i, lines: lines.length <= 1 }).toEqual({ i, lines: true });
      if (r.code !== 0) expect(lines[0]).toMatch(/^uringscope: /);
      expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
    }
    expect(runDirs().filter((d) => !before.has(d))).toEqual([]);
    expect(readdirSync(small)).toEqual([]);
    expect(Date.now() - start).toBeLessThan(60000);
  });
});

