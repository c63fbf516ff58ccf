// `trace -- seqfork N`: N short-lived processes one after another, each with
// a ring of its own. Exited processes and threads must leave the tracer's
// tables (bpf/tracer.bpf.c on_process_exit), or a long trace of a shell or a
// build goes silently blind once the tables are full (1,040 targets, 4,112
// rings, 8,192 threads): every count stays exact, and nothing is missed.
import { join } from 'node:path';
import { finalSummary, ROOT, runCli } from './support.js';

const SEQFORK = join(ROOT, 'build', 'helpers', 'seqfork');
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
  });
});
