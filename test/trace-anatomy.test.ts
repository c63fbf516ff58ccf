// trace --anatomy on this machine's kernel: where fentry programs load, every
// NOP is counted inline and its phases add up to its latency; where the
// kernel refuses them, `paths` and `phases` are listed under absent with the
// loader's reason and everything else is still exact. The paths and phases
// themselves (poll, io-wq, block IO) run in the lab on every kernel:
// lab/checks/anatomy.ts.
import { finalSummary, LOAD, runCli } from './support.js';

const N = 2000;

test('trace --anatomy: NOPs inline, or the paths absent with a reason and the counts exact', async () => {
  // One NOP in flight at a time: two in flight can share a timing slot (untracked.evicted).
  const r = await runCli(['trace', '--json', '--anatomy', '--', LOAD, 'nops', String(N), '1']);
  expect(r.code).toBe(0);
  const s = finalSummary(r.stdout);
  expect(s.requests.NOP).toMatchObject({ submitted: N, completed: N });
  expect(s.requests.NOP.latencyNs.count).toBe(N);
  if (s.absent?.paths) {
    expect(s.absent.paths).toMatch(/^cannot load program on_\w+: Linux \S+ said /);
    expect(s.absent.phases).toMatch(/^cannot load program on_\w+: Linux \S+ said /);
    expect(s.requests.NOP.anatomy).toBeUndefined();
    expect(Object.keys(s.absent).sort()).toEqual(['paths', 'phases']);
  } else {
    const a = s.requests.NOP.anatomy!;
    expect(a.paths).toEqual({ inline: N, poll: 0, iowq: 0, block: 0, queued: 0 });
    expect(a.timed!.requests).toBe(N);
    expect(Object.values(a.phases!).reduce((t, p) => t + p.sumNs, 0)).toBe(a.timed!.ns);
  }
});

test('without --anatomy nothing is absent and no opcode has an anatomy', async () => {
  const r = await runCli(['trace', '--json', '--', LOAD, 'nops', '100']);
  const s = finalSummary(r.stdout);
  expect(s.absent).toBeUndefined();
  expect(s.requests.NOP.anatomy).toBeUndefined();
});

test('record of a workload run refuses --anatomy in one line', async () => {
  const r = await runCli(['record', '-o', '/tmp/uringscope-anatomy-refused.usrec', '--anatomy', 'nop-chain']);
  expect(r.code).toBe(2);
  expect(r.stderr.trim()).toBe('uringscope: --anatomy is a trace option; a workload run has none');
});
