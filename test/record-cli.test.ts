// `record` on the real kernel: the recording's report equals the live
// `--json` summary of the same run (trace target and workload run), and a
// recorder killed with SIGKILL leaves a file that reads up to its last chunk.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { finalSummary, LOAD, ndjson, runCli, scratchDir, sleep, startCli, collect, waitFor } from './support.js';

const dir = scratchDir();

function reportLines(stdout: string): Record<string, any>[] {
  return ndjson(stdout) as Record<string, any>[];
}

describe('record -> report round trip', () => {
  test('trace -- uring_load chains with --events: report --json summary equals the live one', async () => {
    const f = join(dir, 'chains.usrec');
    const n = 3000;
    const live = await runCli(['record', '-o', f, '--events', '--json', '--interval', '50', '--', LOAD, 'chains', String(n)]);
    expect(live.code).toBe(0);
    const liveSummary = finalSummary(live.stdout);
    expect(liveSummary.requests.READ.completed).toBe(n);
    const rep = await runCli(['report', f, '--json']);
    expect(rep.code).toBe(0);
    expect(rep.stderr).toBe('');
    const [summary, report] = reportLines(rep.stdout);
    expect(summary).toEqual(liveSummary);
    expect(report.recording).toMatchObject({ complete: true, mode: 'trace', summarySource: 'end', formatVersion: 1 });
    expect(report.recording.events).toEqual({ recorded: 3 * n, droppedByTracer: 0, droppedByWriter: 0 });
    expect(report.recording.commandLine).toEqual(['record', '-o', f, '--events', '--json', '--interval', '50', '--', LOAD, 'chains', String(n)]);
    expect(report.latency.map((l: { op: string }) => l.op).sort()).toEqual(['NOP', 'READ']);
    expect(report.errorsFrom).toBe('events');
    expect(report.topErrors[0]).toEqual({ op: 'NOP', error: 'ECANCELED', res: -125, count: 2 * n });
    // The live interval lines are the recorded ones.
    const exp = await runCli(['export', f, '--format', 'json']);
    expect(exp.code).toBe(0);
    expect(ndjson(exp.stdout)).toEqual(ndjson(live.stdout));
    // Human report names the opcodes and the errors.
    const human = await runCli(['report', f]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/latency per opcode/);
    expect(human.stdout).toMatch(/NOP\s+ECANCELED \(-125\)\s+6000/);
  });

  test('run short-read: report --json summary (with the engine object) equals the live one', async () => {
    const f = join(dir, 'short-read.usrec');
    const live = await runCli(['record', '-o', f, '--json', 'short-read', '--strategy', 'link', '--chains', '2000']);
    expect(live.code).toBe(0);
    const liveSummary = finalSummary(live.stdout);
    expect(liveSummary.engine).toMatchObject({ strategy: 'link', chains: 2000 });
    const rep = await runCli(['report', f, '--json']);
    expect(rep.code).toBe(0);
    const [summary, report] = reportLines(rep.stdout);
    expect(summary).toEqual(liveSummary);
    expect(report.recording).toMatchObject({ complete: true, mode: 'run' });
  });

  test('bad arguments are one line, exit 2, and no file is written', async () => {
    const f = join(dir, 'never.usrec');
    let r = await runCli(['record', '-o', f, 'short-read', '--pid', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    r = await runCli(['record', '-o', f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/give exactly one target/);
    r = await runCli(['record', '--', LOAD, 'chains', '1']);
    expect(r.code).toBe(2);
    expect(existsSync(f)).toBe(false);
  });

  // The recording takes its name only once the run has started: before that
  // it is a temp file next to it, removed when the start fails.
  test('a run that cannot start leaves no file (nothing to report, no retry refused); --force keeps the old one', async () => {
    const d = join(dir, 'nostart');
    mkdirSync(d);
    const bad = join(d, 'bad.c');
    writeFileSync(bad, 'int x = ;\n');
    // A pid that existed a moment ago: within --pid's bounds, and no process now.
    const gone = spawnSync('true').pid!;
    const cases: [string, string[], number, RegExp][] = [
      ['f4.usrec', ['--pid', String(gone)], 1, new RegExp(`no process with pid ${gone}`)],
      ['f5.usrec', ['--', '/nonexistent/cmd'], 127, /command not found: \/nonexistent\/cmd/],
      ['f6.usrec', ['nop-chain', '--strategy', 'user', '--policy', bad], 1, /policy bad\.c does not compile: bad\.c:1:\d+: error: /],
    ];
    for (const [name, args, code, re] of cases) {
      const r = await runCli(['record', '-o', join(d, name), ...args]);
      expect([name, r.code, r.stderr]).toEqual([name, code, expect.stringMatching(new RegExp(`^uringscope: .*${re.source}.*\\n$`))]);
      expect(readdirSync(d)).toEqual(['bad.c']);
    }
    let r = await runCli(['record', '-o', join(d, 'f4.usrec'), 'nop-chain', '--chains', '10']);
    expect([r.code, r.stderr]).toEqual([0, expect.stringMatching(/^uringscope: recorded \d+ chunks, .* to .*f4\.usrec\n$/)]);
    expect((await runCli(['report', join(d, 'f4.usrec')])).code).toBe(0);

    const keep = join(d, 'keep.usrec');
    writeFileSync(keep, 'keep me\n');
    r = await runCli(['record', '-o', keep, '--force', '--pid', String(gone)]);
    expect(r.code).toBe(1);
    expect(readFileSync(keep, 'utf8')).toBe('keep me\n');
    expect(readdirSync(d).sort()).toEqual(['bad.c', 'f4.usrec', 'keep.usrec']);
  });

  test('recorder killed with SIGKILL: the file reads up to its last complete chunk, exit 3', async () => {
    const f = join(dir, 'killed.usrec');
    const child = startCli(['record', '-o', f, '--events', '--interval', '100', '--', LOAD, 'loop']);
    const done = collect(child);
    let err = '';
    child.stderr?.on('data', (d) => (err += d));
    await waitFor(() => existsSync(f) && statSync(f).size > 20000, 'the recording to grow').catch((e) => {
      throw new Error(`${e.message}: ${existsSync(f) ? statSync(f).size : 'no file'} bytes; recorder stderr: ${err}`);
    });
    await sleep(300);
    // the load generator is the recorder's child: note it before it is orphaned
    const kids = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    child.kill('SIGKILL');
    // (it holds the recorder's stdout: the pipe closes once it is gone too)
    for (const k of kids) {
      try {
        process.kill(k, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    await done;
    const rep = await runCli(['report', f, '--json']);
    expect(rep.code).toBe(3);
    expect(rep.stderr).toMatch(/^uringscope: .*killed\.usrec: incomplete recording, /);
    expect(rep.stderr.trim().split('\n')).toHaveLength(1);
    const [summary, report] = reportLines(rep.stdout);
    expect(summary.type).toBe('summary');
    expect(report.recording.complete).toBe(false);
    expect(report.recording.summarySource).toBe('snapshot');
    expect(report.recording.intervals).toBeGreaterThan(0);
    expect(report.recording.events.recorded).toBeGreaterThan(0);
    expect(summary.requests.NOP.completed).toBeGreaterThan(0);
  });
});
