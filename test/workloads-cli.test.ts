// `uringscope workloads` and the catalog behind it: built-ins and ./workloads
// files, by name or by path; broken local files are listed, not fatal.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runWorkloadsCommand, type WorkloadsArgs } from '../cli/workloads.js';
import { UserError } from '../core/user-error.js';
import { runCli } from './support.js';
import { builtinDir, listWorkloads, resolveWorkload } from '../workloads/catalog.js';

const BUILTINS = ['copy', 'echo', 'echo-tcp', 'header-body', 'nop-chain', 'open-read-close', 'retry', 'short-read'];

function workload(name: string, op = 'nop'): string {
  return JSON.stringify({ name, description: `local ${name}`, steps: [{ op }] });
}

/** Runs the command in this process with its working directory at `cwd`, capturing stdout. */
async function run(args: WorkloadsArgs, cwd: string): Promise<{ code: number; out: string }> {
  const write = process.stdout.write;
  const home = process.cwd();
  let out = '';
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  }) as typeof process.stdout.write;
  process.chdir(cwd);
  try {
    return { code: await runWorkloadsCommand(args), out };
  } finally {
    process.stdout.write = write;
    process.chdir(home);
  }
}

let dir: string; // the user's working directory
let local: string; // its ./workloads
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'uringscope-test-'));
  local = join(dir, 'workloads');
  mkdirSync(local);
  writeFileSync(join(local, 'mine.json'), workload('mine'));
  writeFileSync(join(local, 'broken.json'), workload('broken', 'reed'));
  writeFileSync(join(local, 'echo.json'), workload('echo'));
  writeFileSync(join(local, 'renamed.json'), workload('other'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('catalog', () => {
  test('built-ins first, then local files; broken, shadowed and misnamed ones carry an error', () => {
    const list = listWorkloads([local]);
    expect(list.filter((w) => w.source === 'builtin').map((w) => w.name)).toEqual(BUILTINS);
    const mine = list.filter((w) => w.source === 'local');
    expect(mine.map((w) => w.name)).toEqual(['broken', 'echo', 'mine', 'renamed']);
    expect(mine[0].error).toMatch(/broken\.json: \/steps\/0\/op: must be one of /);
    expect(mine[1].error).toBe(`the name "echo" is taken by ${join(builtinDir(), 'echo.json')}: run this one by its path`);
    expect(mine[2]).toEqual({ name: 'mine', description: 'local mine', source: 'local', path: join(local, 'mine.json') });
    expect(mine[3].error).toMatch(/renamed\.json: \/name: must match the file name, "renamed" \(got "other"\)$/);
  });

  test('a local directory that does not exist is skipped', () => {
    expect(listWorkloads([join(dir, 'nothing-here')]).map((w) => w.name)).toEqual(BUILTINS);
  });

  test('resolve: a built-in name, a local name, a path', () => {
    expect(resolveWorkload('short-read', [local]).steps).toHaveLength(4);
    expect(resolveWorkload('mine', [local]).description).toBe('local mine');
    expect(resolveWorkload('echo', [local]).targets?.sock?.kind).toBe('socketpair'); // the built-in wins
    expect(resolveWorkload(join(local, 'echo.json'), [local]).description).toBe('local echo');
  });

  test('resolve: an unknown name lists what there is; a broken one says why', () => {
    expect(() => resolveWorkload('nope', [])).toThrow(
      new UserError(`no workload named "nope": built-ins are ${BUILTINS.join(', ')} (see \`uringscope workloads\`)`, 2),
    );
    expect(() => resolveWorkload('nope', [local])).toThrow(/built-ins are .*short-read; local: broken, echo, mine, renamed \(see/);
    expect(() => resolveWorkload('broken', [local])).toThrow(/broken\.json: \/steps\/0\/op: must be one of/);
    expect(() => resolveWorkload('nope.json', [local])).toThrow(/^cannot read workload file nope\.json: ENOENT/);
  });
});

describe('uringscope workloads', () => {
  test('an aligned table of name, source and description', async () => {
    const { code, out } = await run({ json: false }, dir);
    expect(code).toBe(0);
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ {2}name +source +description$/);
    expect(lines).toHaveLength(1 + BUILTINS.length + 4);
    const col = lines[0].indexOf('description');
    for (const l of lines.slice(1)) expect(l.slice(col - 2, col)).toBe('  ');
    expect(lines.find((l) => l.includes('header-body'))).toMatch(/^ {2}header-body +builtin +read a 4-byte length header/);
    expect(lines.find((l) => l.includes(' mine '))).toMatch(/local +local mine$/);
  });

  test('--json: one object', async () => {
    const { code, out } = await run({ json: true }, dir);
    expect(code).toBe(0);
    expect(out.trimEnd().split('\n')).toHaveLength(1);
    const o = JSON.parse(out) as { type: string; workloads: { name: string; source: string; error?: string }[] };
    expect(o.type).toBe('workloads');
    expect(o.workloads.map((w) => w.name)).toEqual([...BUILTINS, 'broken', 'echo', 'mine', 'renamed']);
    expect(o.workloads.find((w) => w.name === 'broken')?.error).toMatch(/must be one of/);
  });

  test('--validate: ok, or the one-line error (exit 2)', async () => {
    expect(await run({ json: false, validate: join(builtinDir(), 'short-read.json') }, dir)).toEqual({
      code: 0,
      out: 'ok: short-read (4 steps)\n',
    });
    expect(await run({ json: false, validate: 'workloads/mine.json' }, dir)).toEqual({ code: 0, out: 'ok: mine (1 step)\n' });
    await expect(run({ json: false, validate: 'workloads/broken.json' }, dir)).rejects.toThrow(
      new UserError('workloads/broken.json: /steps/0/op: must be one of nop, read, write, readv, writev, send, recv, timeout, poll, fsync, openat, close (got "reed")', 2),
    );
  });
});

// open(2) of a FIFO waits for a writer: a FIFO (or any other non-regular
// file) in ./workloads is listed as unusable without ever being opened, so
// neither the listing nor a run of a built-in hangs on it. (The real CLI, in
// its own process: an open blocked in this one would hang jest itself.)
describe('a FIFO and a directory in ./workloads', () => {
  let cwd: string;
  beforeAll(() => {
    cwd = mkdtempSync(join(tmpdir(), 'uringscope-test-'));
    mkdirSync(join(cwd, 'workloads'));
    execFileSync('mkfifo', [join(cwd, 'workloads', 'fifo.json')]);
    mkdirSync(join(cwd, 'workloads', 'dir.json'));
  });
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  test('workloads lists them as unusable, saying what they are', async () => {
    const r = await runCli(['workloads', '--json'], { cwd });
    expect(r.code).toBe(0);
    const o = JSON.parse(r.stdout) as { workloads: { name: string; error?: string }[] };
    expect(o.workloads.filter((w) => w.error).map((w) => [w.name, w.error])).toEqual([
      ['dir', expect.stringMatching(/workloads\/dir\.json is a directory, not a regular file: not opened/)],
      ['fifo', expect.stringMatching(/workloads\/fifo\.json is a FIFO, not a regular file: not opened \(a FIFO can be run by its path\)$/)],
    ]);
  });

  test('run nop-chain runs; run fifo is refused in one line, exit 2', async () => {
    let r = await runCli(['run', 'nop-chain', '--chains', '10'], { cwd });
    expect([r.code, r.stderr]).toEqual([0, '']);
    r = await runCli(['run', 'fifo'], { cwd });
    expect([r.code, r.stderr]).toEqual([2, expect.stringMatching(/^uringscope: .*workloads\/fifo\.json is a FIFO, not a regular file: not opened .*\n$/)]);
  });
});
