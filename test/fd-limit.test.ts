// uringscope under a low RLIMIT_NOFILE (prlimit --nofile=N, as a service
// manager or a container may set it). Node's ESM loader reads a module
// graph with many files open at once: with the TUI's modules (ink, react)
// loaded by every command, even `--help` needed about 330 descriptors and
// failed below that with an internal error ("Cannot find package", EMFILE).
// Now the commands that do not draw the TUI start at MIN_NOFILE, and below
// it, or when a command's modules still cannot be loaded, uringscope says so
// in one line.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { EXIT_OSERR } from '../core/exit-codes.js';
import { MIN_NOFILE } from '../cli/fd-limit.js';
import { CLI, collect, scratchDir, type CliResult } from './support.js';
import { writeSample } from './record-sample.js';

const dir = scratchDir();
const file = join(dir, 'sample.usrec');

beforeAll(async () => {
  await writeSample(file);
});

function withNofile(n: number, args: string[]): Promise<CliResult> {
  return collect(spawn('prlimit', [`--nofile=${n}`, process.execPath, CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
}

const COMMANDS: [string, () => string[], RegExp][] = [
  ['--help', () => ['--help'], /Commands:/],
  ['workloads', () => ['workloads'], /short-read/],
  ['doctor', () => ['doctor'], /strategy link/],
  ['report FILE', () => ['report', file], /summary/],
];

describe(`RLIMIT_NOFILE ${MIN_NOFILE}, the lowest uringscope starts with`, () => {
  test.each(COMMANDS)('%s runs as without a limit', async (_name, args, out) => {
    const r = await withNofile(MIN_NOFILE, args());
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(out);
  });

  test('view FILE: the TUI\'s modules need more: one line naming the limit', async () => {
    const r = await withNofile(MIN_NOFILE, ['view', file]);
    expect({ code: r.code, stderr: r.stderr, stdout: r.stdout }).toEqual({
      code: EXIT_OSERR, stderr: `uringscope: RLIMIT_NOFILE ${MIN_NOFILE} is too low: raise it with ulimit -n\n`, stdout: '',
    });
  });
});

describe(`RLIMIT_NOFILE ${MIN_NOFILE - 1}: one line naming the limit, exit ${EXIT_OSERR}`, () => {
  test.each(COMMANDS)('%s', async (_name, args) => {
    const r = await withNofile(MIN_NOFILE - 1, args());
    expect({ code: r.code, stderr: r.stderr, stdout: r.stdout }).toEqual({
      code: EXIT_OSERR, stderr: `uringscope: RLIMIT_NOFILE ${MIN_NOFILE - 1} is too low: raise it with ulimit -n\n`, stdout: '',
    });
  });
});
