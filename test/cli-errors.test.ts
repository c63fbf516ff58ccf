// Mistakes and missing privileges: one clear line on stderr, a non-zero
// exit, no stack trace, and nothing left loaded.
import { execFileSync, spawn } from 'node:child_process';
import { CLI, collect, expectNoTracer, runCli, type CliResult } from './support.js';

function expectOneLine(r: CliResult, re: RegExp) {
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(re);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

function unusedPid(): number {
  const max = Number(execFileSync('cat', ['/proc/sys/kernel/pid_max'], { encoding: 'utf8' }));
  for (let p = max - 1; p > 1; p--) {
    try {
      process.kill(p, 0);
    } catch {
      return p;
    }
  }
  throw new Error('no free pid');
}

describe('trace: clear errors', () => {
  test('a pid that does not exist', async () => {
    const pid = unusedPid();
    const r = await runCli(['trace', '--pid', String(pid)]);
    expect(r.code).toBe(1);
    expectOneLine(r, new RegExp(`^uringscope: no process with pid ${pid}`));
  });

  test('a bad flag', async () => {
    const r = await runCli(['trace', '--bogus', '--pid', '1']);
    expect(r.code).toBe(2);
    expectOneLine(r, /^uringscope: Unknown argument: bogus .*trace --help/);
  });

  test('no target, or two', async () => {
    let r = await runCli(['trace']);
    expect(r.code).toBe(2);
    expectOneLine(r, /exactly one target/);
    r = await runCli(['trace', '--pid', '1', '--comm', 'x']);
    expect(r.code).toBe(2);
    expectOneLine(r, /exactly one target/);
  });

  test('a command that does not exist', async () => {
    const r = await runCli(['trace', '--', '/no/such/binary']);
    expect(r.code).toBe(127);
    expectOneLine(r, /^uringscope: command not found: \/no\/such\/binary/);
  });

  test('a --comm longer than the kernel keeps: in bytes, and it would never match', async () => {
    const r = await runCli(['trace', '--comm', 'a-very-long-process-name']);
    expect(r.code).toBe(2);
    expectOneLine(r, /^uringscope: --comm "a-very-long-process-name" is 24 bytes, longer than the 15 the kernel keeps of a process name, so it would never match: use "a-very-long-pro"$/);
    // 9 characters but 18 bytes: the kernel keeps 15 of them
    for (const cmd of ['trace', 'serve', 'top']) {
      const u = await runCli([cmd, '--comm', 'ééééééééé']);
      expect(u.code).toBe(2);
      expectOneLine(u, /^uringscope: --comm "ééééééééé" is 18 bytes, .* so it would never match: use "ééééééé"$/);
    }
  });

  test('an empty --comm says so, for trace, serve and top, not that a target is missing', async () => {
    for (const cmd of ['trace', 'serve', 'top']) {
      const r = await runCli([cmd, '--comm', '']);
      expect(r.code).toBe(2);
      expectOneLine(r, /^uringscope: --comm is empty: give the process name, as `ps -o comm=` shows it$/);
    }
  });

  test('an empty command after -- says so (not "not executable" for a PATH directory it would resolve to)', async () => {
    const r = await runCli(['trace', '--', '']);
    expect(r.code).toBe(2);
    expectOneLine(r, /^uringscope: the command after -- is empty \(got ""\): give the program to run, e\.g\. -- \.\/app ARGS$/);
  });

  test('an unprivileged user is told what to do', async () => {
    const p = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all',
      process.execPath, CLI, 'trace', '--', 'true'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const r = await collect(p);
    expect(r.code).toBe(77);
    expectOneLine(r, /needs root or CAP_BPF\+CAP_PERFMON.*sudo/);
  });

  test('--help works on every command', async () => {
    const commands = [[], ['trace'], ['serve'], ['doctor'], ['run'], ['top'], ['record'], ['report'], ['export'], ['replay'], ['view'], ['workloads']];
    for (const cmd of commands) {
      const r = await runCli([...cmd, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/uringscope/);
    }
  });

  afterAll(async () => {
    await expectNoTracer();
  });
});

