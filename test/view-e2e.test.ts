// End-to-end `uringscope view`: real short-read runs are recorded first (real
// engine, real kernel, real tracer), then played in a real terminal (tmux)
// with the keys a person would press; the screen must show the recording's
// own numbers. Screens are saved under test/artifacts/.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTimeline, type Timeline } from '../recording/timeline.js';
import { fmtCount } from '../core/units.js';
import type { Summary } from '../tracers/summary.js';
import { runCli, scratchDir } from './support.js';
import { killAll, tmux } from './tmux.js';

const dir = scratchDir();
let link: Timeline;
let user: Timeline;

const completed = (s: Summary) => Object.values(s.requests).reduce((n, o) => n + o.completed, 0);
const cancelled = (s: Summary) => Object.values(s.requests).reduce((n, o) => n + o.cancelled, 0);
/** What the Throughput panel says after the first n intervals. */
const completionsAfter = (t: Timeline, n: number) => fmtCount(t.steps.slice(0, n).reduce((k, s) => k + completed(s.summary), 0));

beforeAll(async () => {
  for (const strategy of ['link', 'user']) {
    const r = await runCli(['record', '-o', join(dir, `${strategy}.usrec`), 'short-read', '--strategy', strategy, '--duration', '2', '--interval', '250']);
    expect(r.stderr).toMatch(/recorded \d+ chunks/);
    expect(r.code).toBe(0);
  }
  link = await loadTimeline(join(dir, 'link.usrec'));
  user = await loadTimeline(join(dir, 'user.usrec'));
  // The runs did real IO, and link's short reads cancelled the rest of each chain.
  expect(link.steps.length).toBeGreaterThanOrEqual(4);
  expect(completed(link.summary)).toBeGreaterThan(0);
  expect(cancelled(link.summary)).toBeGreaterThan(0);
  expect(cancelled(user.summary)).toBe(0);
}, 60000);

afterEach(killAll);

test('view FILE: step through a recording, play it to the end, seek back; q exits 0', async () => {
  const n = link.steps.length;
  const t = tmux(['view', 'link.usrec', '--paused'], { cwd: dir });
  let s = await t.until((x) => x.includes('[paused]'), 'the player, paused at the start');
  expect(s).toContain('uringscope view short-read · link [paused] 0.0s');
  expect(s).toContain(`interval 0/${n}`);
  expect(s).toContain(`recording link.usrec: ${n} intervals`);

  t.keys('Right');
  s = await t.until((x) => x.includes(`interval 1/${n}`), 'one interval forward');
  expect(s).toContain(`completions ${completionsAfter(link, 1)}  in`);
  t.keys('Right');
  s = await t.until((x) => x.includes(`interval 2/${n}`), 'two intervals forward');
  t.save('view-link-interval-2.txt', s);
  expect(s).toContain(`completions ${completionsAfter(link, 2)}  in`);
  t.keys('Left');
  s = await t.until((x) => x.includes(`interval 1/${n}`), 'one interval back');
  expect(s).toContain(`completions ${completionsAfter(link, 1)}  in`);

  t.keys('+');
  s = await t.until((x) => / 2×  interval 1\//.test(x), 'the speed shown as 2×');
  t.keys('Space');
  s = await t.until((x) => x.includes('[ended]'), 'the end of the recording');
  t.save('view-link-ended.txt', s);
  expect(s).toContain(`interval ${n}/${n}`);
  expect(s).toContain('end of recording: duration reached');
  expect(s).toContain(`completions ${fmtCount(completed(link.summary))}  in`);
  expect(s).toMatch(new RegExp(`cancelled\\s+${fmtCount(cancelled(link.summary)).replace('.', '\\.')}\\n`));
  expect(s).toContain('first cancellation (-ECANCELED) on READ');
  expect(s).toMatch(/histogram READ \(whole run\)/);

  t.keys('Left');
  s = await t.until((x) => x.includes(`interval ${n - 1}/${n}`), 'a seek back from the end');
  expect(s).toContain('[paused]');
  expect(s).toContain(`completions ${completionsAfter(link, n - 1)}  in`);
  t.keys('q');
  expect(await t.exitStatus()).toBe(0);
});

test('view A B: both recordings side by side in the compare view, with ratios', async () => {
  const t = tmux(['view', 'link.usrec', 'user.usrec'], { cwd: dir });
  const s = await t.until((x) => x.includes('Compare recordings'), 'the compare view');
  t.save('view-compare.txt', s);
  expect(s).toContain('A = link.usrec (short-read · link)');
  expect(s).toContain('B = user.usrec (short-read · user)');
  const row = (label: string) => s.split('\n').find((l) => l.startsWith(label))!.trim().split(/\s+/);
  expect(row('completions').slice(1, 3)).toEqual([fmtCount(completed(link.summary)), fmtCount(completed(user.summary))]);
  expect(row('cancelled').slice(1, 3)).toEqual([fmtCount(cancelled(link.summary)), '0']);
  expect(row('cancelled')[3]).toBe('0.00');
  const [, a, b, ratio] = row('completions');
  expect(Number(ratio)).toBeGreaterThan(0);
  expect(a).not.toBe(b);
  t.keys('q');
  expect(await t.exitStatus()).toBe(0);
});

test('a cut recording plays up to the break, then one line says what was lost, exit 3', async () => {
  const bytes = readFileSync(join(dir, 'link.usrec'));
  const cut = join(dir, 'cut.usrec');
  writeFileSync(cut, bytes.subarray(0, bytes.length - 100)); // inside the end chunk
  const err = join(dir, 'cut.stderr');
  const t = tmux(['view', 'cut.usrec', '--speed', '16'], { cwd: dir, stderr: err });
  const s = await t.until((x) => x.includes('[ended]'), 'the end of what was readable');
  t.save('view-cut.txt', s);
  expect(s).toContain('end of recording: cut short, no end record');
  expect(s).toMatch(/recording cut: truncated at byte \d+/);
  t.keys('q');
  expect(await t.exitStatus()).toBe(3);
  const lines = readFileSync(err, 'utf8').trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^uringscope: cut\.usrec: incomplete recording, truncated at byte \d+: /);
});

test('files that are not recordings, no terminal, --help: one line each, the right exit status', async () => {
  const garbage = join(dir, 'garbage.usrec');
  writeFileSync(garbage, 'this is not a recording\n');
  const empty = join(dir, 'empty.usrec');
  writeFileSync(empty, '');
  const cases: [string[], number, RegExp][] = [
    [['view', garbage], 65, /^uringscope: .*garbage\.usrec: not a uringscope recording \(no "USREC" magic at byte 0\)\n$/],
    [['view', empty], 65, /^uringscope: .*empty\.usrec: empty file \(0 bytes\), not a uringscope recording\n$/],
    [['view', join(dir, 'link.usrec'), garbage], 65, /^uringscope: .*garbage\.usrec: not a uringscope recording/],
    [['view', join(dir, 'missing.usrec')], 66, /^uringscope: cannot open .*missing\.usrec: no such file\n$/],
    // without a terminal, the text summary of the same recording(s), not `trace` or `run --json`
    [['view', join(dir, 'link.usrec')], 2, new RegExp(`^uringscope: the TUI needs a terminal; use \`uringscope report ${dir}/link\\.usrec\`\n$`)],
    [['view', join(dir, 'link.usrec'), join(dir, 'user.usrec')], 2, new RegExp(`^uringscope: the TUI needs a terminal; use \`uringscope report ${dir}/link\\.usrec ${dir}/user\\.usrec\`\n$`)],
    [['view', join(dir, 'link.usrec'), '--speed', '3'], 2, /^uringscope: --speed must be one of 0.25, 0.5, 1, 2, 4, 8, 16 \(got 3\)\n$/],
  ];
  for (const [args, code, re] of cases) {
    const r = await runCli(args);
    expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code, stderr: expect.stringMatching(re) });
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }
  const help = await runCli(['view', '--help']);
  expect(help.code).toBe(0);
  expect(help.stdout).toContain('uringscope view FILE [FILE2] [options]');
  expect(help.stdout).toContain('--speed');
});
