// `trace -- seqfork N`: N short-lived processes one after another, each with
// a ring of its own. Exited processes and threads must leave the tracer's
// tables (bpf/tracer.bpf.c on_process_exit), or a long trace of a shell or a
// build goes silently blind once the tables are full (1,040 targets, 4,112
// rings, 8,192 threads): every count stays exact, and nothing is missed.
// More live processes than the table holds are counted as left out, and said.
import { join } from 'node:path';
import { finalSummary, ROOT, runCli } from './support.js';

const SEQFORK = join(ROOT, 'build', 'helpers', 'seqfork');
const LIVEFORKS = join(ROOT, 'build', 'helpers', 'liveforks');
// The targets table: 16 scanned slots and a hash map of 1,024 (bpf/tracer.bpf.c).
const TARGETS_MAX = 16 + 1024;
const CHILDREN = 5000;
const NOPS = 10;

describe('trace -- a process that forks short-lived children', () => {
  test(`${CHILDREN} children one after another: every request counted, none missed`, async () => {
    const r = await runCli(['trace', '--json', '--threads', '--', SEQFORK, String(CHILDREN), String(NOPS)]);
    expect(r.stderr).toContain(`children=${CHILDREN} `); // the command's own output goes to stderr under --json
    expect(r.code).toBe(0);
    const s = finalSummary(r.stdout, r.stderr);
    expect(s.requests.NOP).toMatchObject({ submitted: CHILDREN * NOPS, completed: CHILDREN * NOPS, errors: 0, cancelled: 0 });
    expect(s.requests.NOP.latencyNs.count).toBe(CHILDREN * NOPS);
    expect(s.untracked).toEqual({ completions: 0, neverCompleted: 0, evicted: 0, processes: 0, threadEvents: 0 });
    // Every child entered its ring once at least: the exited threads' syscalls are still summed.
    expect(s.enter.calls).toBeGreaterThanOrEqual(CHILDREN);
    // Exited threads are listed until the table is half full (4,096 entries), then folded
    // into the sums: the list never names a retired entry, and it is bounded.
    expect(s.threads?.every((t) => t.tid < 2 ** 31)).toBe(true);
    expect(s.threads?.length ?? 0).toBeGreaterThan(1000);
    expect(s.threads?.length ?? 0).toBeLessThanOrEqual(4096);
    // Each child's final switch out (do_task_dead) comes after its process stopped being
    // a target: it is still counted, one voluntary switch per thread at least.
    expect(s.threads?.every((t) => t.voluntary >= 1)).toBe(true);
    expect(s.ctxSwitches.byThread.app.voluntary).toBeGreaterThanOrEqual(CHILDREN + 1);
  });

  test('more live processes than the targets table holds: the ones left out are counted and said', async () => {
    const children = TARGETS_MAX + 60;
    const r = await runCli(['trace', '--json', '--', LIVEFORKS, String(children), String(NOPS)]);
    expect(r.stderr).toContain(`children=${children} `);
    expect(r.code).toBe(0);
    const s = finalSummary(r.stdout, r.stderr);
    // liveforks itself takes one entry; its first TARGETS_MAX - 1 children the rest.
    const traced = TARGETS_MAX - 1;
    expect(s.untracked.processes).toBe(children - traced);
    expect(s.requests.NOP).toMatchObject({ submitted: traced * NOPS, completed: traced * NOPS, errors: 0, cancelled: 0 });
    const table = await runCli(['trace', '--', LIVEFORKS, String(children), String(NOPS)]);
    expect(table.code).toBe(0);
    expect(table.stdout + table.stderr).toContain(`PROCESSES NOT TRACED (targets table full) ${children - traced}`);
  });
});
