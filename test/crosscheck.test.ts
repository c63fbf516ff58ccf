// Independent cross-check: bpftrace, attached to the same tracepoints at the
// same time, must count what uringscope counts.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTracefs } from '../tracers/system.js';
import { collect, finalSummary, namedLoad, runCli, sleep, waitFor } from './support.js';

// The load generator runs under a name of its own: no other uring_load on the machine counts.
const dir = mkdtempSync(join(tmpdir(), 'uringscope-xcheck-'));
const { bin, comm: COMM } = namedLoad('uxck', dir);
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SCRIPT = `
tracepoint:io_uring:io_uring_complete /comm == "${COMM}"/ { @complete = count(); if (args->res == -125) { @cancelled = count(); } }
tracepoint:io_uring:io_uring_submit_req /comm == "${COMM}"/ { @submit = count(); }
tracepoint:io_uring:io_uring_fail_link /comm == "${COMM}"/ { @fail_link = count(); }
tracepoint:syscalls:sys_enter_io_uring_enter /comm == "${COMM}"/ { @enter = count(); }
`;

function parseMaps(out: string): Record<string, number> {
  const m: Record<string, number> = {};
  for (const [, k, v] of out.matchAll(/^@(\w+): (\d+)$/gm)) m[k] = Number(v);
  return m;
}

beforeAll(() => {
  ensureTracefs(); // bpftrace attaches through tracefs; uringscope does not need it
});

test('uringscope and bpftrace agree on submits, completions, cancellations, fail_link, enters', async () => {
  const bt = spawn('bpftrace', ['-e', SCRIPT], { stdio: ['ignore', 'pipe', 'pipe'] });
  const btDone = collect(bt);
  let out = '';
  bt.stdout!.on('data', (d) => (out += d));
  await waitFor(() => /Attaching \d+ probes/.test(out), 'bpftrace to attach', 60000);
  await sleep(300);

  const r = await runCli(['trace', '--json', '--', bin, 'chains', '3000']);
  expect(r.code).toBe(0);
  bt.kill('SIGINT');
  const maps = parseMaps((await btDone).stdout);
  const s = finalSummary(r.stdout);
  const completed = s.requests.READ.completed + s.requests.NOP.completed;
  const submitted = s.requests.READ.submitted + s.requests.NOP.submitted;
  expect(maps.complete).toBe(completed);
  expect(maps.submit).toBe(submitted);
  expect(maps.cancelled).toBe(s.requests.NOP.cancelled);
  expect(maps.fail_link).toBe(s.failLinks);
  expect(maps.enter).toBe(s.enter.calls);
  expect(completed).toBe(9000);
});
