// The engine on the real kernel: every built-in workload under `link` and
// `user` gives the same results, and the engine's own request counts agree
// with the tracer's.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { EngineSummary } from '../core/engine-summary.js';
import type { Summary } from '../tracers/summary.js';
import { builtinDir } from '../workloads/catalog.js';
import { finalSummary, runCli } from './support.js';

async function run(workload: string, strategy: string, extra: string[] = []): Promise<{ s: Summary; e: EngineSummary }> {
  const r = await runCli(['run', workload, '--strategy', strategy, '--json', ...extra]);
  if (r.code !== 0) throw new Error(`run ${workload} ${strategy} exited ${r.code}: ${r.stderr}`);
  const s = finalSummary(r.stdout);
  return { s, e: s.engine! };
}

/** Engine and tracer must count the same requests, opcode by opcode. */
function expectAgreement(s: Summary, e: EngineSummary): void {
  for (const [op, c] of Object.entries(e.requests)) {
    expect([op, s.requests[op]?.submitted]).toEqual([op, c.submitted]);
    expect([op, s.requests[op]?.completed]).toEqual([op, c.completed]);
  }
  for (const op of Object.keys(s.requests)) expect(Object.keys(e.requests)).toContain(op);
}

const builtins = readdirSync(builtinDir())
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.replace(/\.json$/, ''));

describe('built-in workloads under link and user', () => {
  test('there are the six cases of the seed', () => {
    for (const w of ['nop-chain', 'short-read', 'header-body', 'copy', 'echo', 'retry', 'open-read-close']) expect(builtins).toContain(w);
  });

  test.each(builtins)('%s: same results under link and user; engine and tracer agree', async (w) => {
    const link = await run(w, 'link');
    const user = await run(w, 'user');
    for (const x of [link, user]) {
      expect(x.e.chainsFailed).toBe(0);
      expect(x.e.chains).toBeGreaterThan(0);
      expectAgreement(x.s, x.e);
    }
    expect(user.e.chains).toBe(link.e.chains);
    expect(user.e.steps).toBe(link.e.steps);
    expect(user.e.bytes).toBe(link.e.bytes);
    expect(user.e.readChecksum).toBe(link.e.readChecksum);
    expect(user.e.files).toEqual(link.e.files);
    // userspace-driven chains never have a link to break
    expect(user.e.resubmits).toBe(0);
    expect(user.e.cancelled).toBe(0);
  });
});

describe('the cases', () => {
  test('short-read: links break (tracer sees cancellations, engine resubmits); user sees none', async () => {
    const link = await run('short-read', 'link');
    expect(link.s.requests.READ.cancelled).toBeGreaterThan(0);
    expect(link.s.failLinks).toBe(link.s.requests.READ.cancelled);
    expect(link.e.resubmits).toBe(link.s.requests.READ.cancelled);
    const user = await run('short-read', 'user');
    expect(user.s.requests.READ.cancelled).toBe(0);
    expect(user.s.failLinks).toBe(0);
  });

  test('copy: the output is byte-identical to the input under both strategies', async () => {
    for (const strategy of ['link', 'user']) {
      const { e } = await run('copy', strategy);
      expect(e.files!.dst).toEqual(e.files!.src);
      expect(e.bytes).toBe(2 * e.files!.src.size); // every byte read once and written once
    }
  });

  test('--chains, --concurrency and --duration are honoured', async () => {
    const { e } = await run('nop-chain', 'user', ['--chains', '123', '--concurrency', '5']);
    expect(e.chains).toBe(123);
    const d = await run('nop-chain', 'link', ['--duration', '0.3']);
    expect(d.e.chains).toBeGreaterThan(0);
    expect(d.s.engine?.stopReason).toBe('duration');
  });
});

describe('workload files', () => {
  test('a path target is read, never written, and header-body reads the exact payloads', async () => {
    const { writeFileSync, mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'uringscope-hb-'));
    // 300 records at i * 1004: [u32 len][len bytes], len = 1 + (i * 37) % 1000.
    const slot = 1004;
    const n = 300;
    const data = Buffer.alloc(n * slot);
    let expected = 0n;
    for (let i = 0; i < n; i++) {
      const len = 1 + ((i * 37) % 1000);
      data.writeUInt32LE(len, i * slot);
      for (let k = 0; k < len; k++) data[i * slot + 4 + k] = (i * 7 + k) & 0xff;
      // FNV-1a over what the chain reads: the header, then the body.
      let h = 0xcbf29ce484222325n;
      for (const b of data.subarray(i * slot, i * slot + 4 + len)) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
      expected = (expected + h) & 0xffffffffffffffffn;
    }
    const file = join(dir, 'records.bin');
    writeFileSync(file, data);
    const spec = {
      name: 'hb-test',
      description: 'header-body over a file of known records',
      targets: { in: { kind: 'path', path: file } },
      steps: [
        { op: 'read', target: 'in', len: 4, offset: { perChain: slot } },
        { op: 'read', target: 'in', len: { header: { step: 0 } }, offset: { perChain: slot, base: 4 }, bufOffset: 4 },
      ],
      chains: n,
      concurrency: 8,
      bufferBytes: slot,
    };
    const wf = join(dir, 'hb.json');
    writeFileSync(wf, JSON.stringify(spec));
    try {
      for (const strategy of ['link', 'user']) {
        const { e } = await run(wf, strategy);
        expect(e.chains).toBe(n);
        expect(e.readChecksum).toBe(expected.toString(16).padStart(16, '0'));
        expect(e.files!.in.size).toBe(data.length);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
