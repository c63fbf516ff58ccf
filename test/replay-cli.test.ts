// `replay` of recorded workload runs: the link structure survives under
// `link` (the same link groups, broken at the same places, as the kernel's
// own counters agree), `user` issues every recorded request once without
// links; recordings a replay cannot use are refused in one line; Ctrl-C
// stops a replay cleanly; `report` compares a recording with its replay.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kernelGate } from './kernel-gate.js';
import { collect, finalSummary, ndjson, runCli, scratchDir, startCli, waitFor } from './support.js';
import { isBpfControl, linkGroups, profile } from './replay-support.js';

const gate = await kernelGate();
const dir = scratchDir();
const scratch = scratchDir();

async function record(name: string, args: string[]): Promise<string> {
  const f = join(dir, `${name}.usrec`);
  const r = await runCli(['record', '-o', f, ...args]);
  expect(r.code).toBe(0);
  return f;
}

function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
  return lines[0];
}

describe('replay keeps the link structure', () => {
  test.each([
    ['short-read', ['short-read', '--strategy', 'link', '--chains', '300']],
    ['copy', ['copy', '--strategy', 'link']],
  ])('%s recorded under link, replayed under link: same link groups and broken links', async (name, args) => {
    const rec = await record(`${name}-link`, ['--events', '--json', ...args]);
    const original = await linkGroups(rec);
    expect(original.some((g) => g.includes(' > '))).toBe(true); // there are links to keep
    expect(original.some((g) => g.includes('!'))).toBe(true); // and some broke
    const out = join(dir, `${name}-replay-link.usrec`);
    const r = await runCli(['replay', rec, '--strategy', 'link', '--json', '-o', out, '--events', '--scratch', scratch]);
    expect(r.code).toBe(0);
    expect(await linkGroups(out)).toEqual(original);

    // The kernel's own counters agree: links broke as often, as many requests were cancelled.
    const rep = await runCli(['report', rec, out, '--json']);
    expect(rep.code).toBe(0);
    const [a, , b, , diff] = ndjson(rep.stdout) as Record<string, any>[];
    expect(diff.type).toBe('diff');
    expect(b.failLinks).toBe(a.failLinks);
    expect(b.failLinks).toBeGreaterThan(0);
    for (const op of Object.keys(a.requests)) {
      expect(b.requests[op].submitted).toBe(a.requests[op].submitted);
      expect(b.requests[op].cancelled).toBe(a.requests[op].cancelled);
    }
    const replay = (b.engine as Record<string, any>).replay;
    expect(replay.resultsDiffer).toBe(0);
    expect(replay.linkedChains).toBeGreaterThan(0);
    expect(readdirSync(scratch)).toEqual([]);
  });

  test('short-read replayed under user: every recorded request issued once, no links', async () => {
    const rec = await record('short-read-for-user', ['--events', 'short-read', '--strategy', 'link', '--chains', '200']);
    const out = join(dir, 'short-read-replay-user.usrec');
    const r = await runCli(['replay', rec, '--strategy', 'user', '--json', '-o', out, '--events', '--scratch', scratch]);
    expect(r.code).toBe(0);
    const s = finalSummary(r.stdout);
    expect(s.failLinks).toBe(0);
    expect(s.requests.READ.cancelled).toBe(0);
    // The reads the kernel cancelled in the recording run here: the same requests, other results.
    expect(await profile(out)).toEqual(await profile(rec));
    expect((s.engine as Record<string, any>).replay.resultsDiffer).toBe(200);
    expect((await linkGroups(out)).every((g) => !g.includes(' > '))).toBe(true);
  });

  gate.test({ strategy: 'bpf' })('short-read replayed under bpf: the same requests as under user, issued by the replay policy in the kernel', async () => {
    const rec = await record('short-read-for-bpf', ['--events', 'short-read', '--strategy', 'link', '--chains', '200']);
    const out = join(dir, 'short-read-replay-bpf.usrec');
    const r = await runCli(['replay', rec, '--strategy', 'bpf', '--json', '-o', out, '--events', '--scratch', scratch]);
    expect(r.code).toBe(0);
    const s = finalSummary(r.stdout);
    const engine = s.engine as Record<string, any>;
    expect(s.failLinks).toBe(0);
    expect(s.requests.READ.cancelled).toBe(0);
    expect(await profile(out, isBpfControl)).toEqual(await profile(rec));
    expect(engine.replay.resultsDiffer).toBe(200); // as under user: the reads the recording saw cancelled ran
    expect(engine.policy.stepsFromBpf).toBe(engine.policy.stats.issued + engine.policy.stats.waits);
    expect(readdirSync(scratch)).toEqual([]);
  });
});

describe('replay refuses what it cannot use, in one line', () => {
  test('a recording without --events', async () => {
    const rec = await record('no-events', ['short-read', '--chains', '10']);
    const r = await runCli(['replay', rec]);
    expect(r.code).toBe(65);
    expect(oneLine(r.stderr)).toMatch(/recorded without --events.*record with `uringscope record -o FILE --events/);
    expect(r.stdout).toBe('');
  });

  test('a corrupt recording (a flipped byte in its request records) and a foreign file', async () => {
    const rec = await record('to-corrupt', ['--events', 'short-read', '--chains', '200']);
    const bytes = readFileSync(rec);
    const bad = join(dir, 'corrupt.usrec');
    bytes[bytes.length - 2000] ^= 0xff; // inside the events chunk, before the end chunk
    writeFileSync(bad, bytes);
    let r = await runCli(['replay', bad]);
    expect(r.code).toBe(65);
    expect(oneLine(r.stderr)).toMatch(/corrupt at byte \d+: CRC mismatch.*a replay needs the whole request stream/);

    const foreign = join(dir, 'foreign.usrec');
    writeFileSync(foreign, 'not a recording\n');
    r = await runCli(['replay', foreign]);
    expect(r.code).toBe(65);
    expect(oneLine(r.stderr)).toMatch(/not a uringscope recording/);

    r = await runCli(['replay', join(dir, 'missing.usrec')]);
    expect(r.code).not.toBe(0);
    expect(oneLine(r.stderr)).toMatch(/no such file/);
  });

  test('a recording with nothing replayable (sockets only)', async () => {
    const rec = await record('echo', ['--events', 'echo', '--chains', '50']);
    const r = await runCli(['replay', rec]);
    expect(r.code).toBe(65);
    expect(oneLine(r.stderr)).toMatch(/nothing in .*echo\.usrec can be replayed: 100 SEND \(sockets have no replay target\); 100 RECV/);
  });

  test('a partly replayable recording: the rest is replayed and the skipped requests are listed', async () => {
    const rec = await record('open-read-close', ['--events', 'open-read-close', '--strategy', 'user', '--chains', '100']);
    const r = await runCli(['replay', rec, '--scratch', scratch]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/100 of 300 recorded requests/);
    expect(r.stdout).toMatch(/skipped 100 OPENAT: acts on the recorded process's paths or fds/);
    expect(r.stdout).toMatch(/skipped 100 CLOSE: /);
  });

  test('bad flags exit 2', async () => {
    const rec = await record('for-flags', ['--events', 'short-read', '--chains', '10']);
    let r = await runCli(['replay', rec, '--speed', '-1']);
    expect(r.code).toBe(2);
    oneLine(r.stderr);
    r = await runCli(['replay', rec, '--events']);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/give -o/);
    r = await runCli(['replay', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/replay FILE \[--strategy link\|user\|bpf\] \[--speed X\]/);
  });
});

describe('replay ends cleanly', () => {
  test('SIGINT during a slowed-down replay: summary printed, requests reaped, recording complete, scratch removed', async () => {
    const rec = await record('slow', ['--events', 'short-read', '--chains', '2000']);
    const out = join(dir, 'slow-replay.usrec');
    // --speed 0.001 (the slowest allowed) stretches the recorded start times 1,000x: long enough to interrupt.
    const child = startCli(['replay', rec, '--speed', '0.001', '--json', '--interval', '50', '-o', out, '--scratch', scratch]);
    const done = collect(child);
    let stdout = '';
    child.stdout?.on('data', (d) => (stdout += d));
    await waitFor(() => ndjson(stdout).some((l) => l.type === 'interval' && Object.keys(l.requests as object).length > 0), 'replayed requests');
    child.kill('SIGINT');
    const r = await done;
    expect(r.code).toBe(0);
    const s = finalSummary(r.stdout);
    const e = s.engine as Record<string, any>;
    expect(e.stopReason).toBe('signal');
    expect(e.chains).toBeLessThan(e.replay.chains);
    expect(s.requests.READ.completed).toBe(s.requests.READ.submitted);
    const rep = await runCli(['report', out, '--json']);
    expect(rep.code).toBe(0);
    expect((ndjson(rep.stdout)[1] as Record<string, any>).recording).toMatchObject({ complete: true, mode: 'replay' });
    expect(existsSync(out)).toBe(true);
    expect(readdirSync(scratch)).toEqual([]);
  });
});
