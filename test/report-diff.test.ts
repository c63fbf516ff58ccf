// `report A B`: the same workload under two strategies, side by side.
import { join } from 'node:path';
import { finalSummary, ndjson, runCli, scratchDir } from './support.js';

const dir = scratchDir();

describe('report FILE FILE2', () => {
  test('short-read under link and user: both summaries and a diff with ratios', async () => {
    const a = join(dir, 'link.usrec');
    const b = join(dir, 'user.usrec');
    const ra = await runCli(['record', '-o', a, '--json', 'short-read', '--strategy', 'link', '--chains', '1000']);
    const rb = await runCli(['record', '-o', b, '--json', 'short-read', '--strategy', 'user', '--chains', '1000']);
    expect(ra.code).toBe(0);
    expect(rb.code).toBe(0);
    const r = await runCli(['report', a, b, '--json']);
    expect(r.code).toBe(0);
    const lines = ndjson(r.stdout) as Record<string, any>[];
    expect(lines.map((l) => l.type)).toEqual(['summary', 'report', 'summary', 'report', 'diff']);
    expect(lines[0]).toEqual(finalSummary(ra.stdout));
    expect(lines[2]).toEqual(finalSummary(rb.stdout));
    const diff = lines[4];
    expect(diff).toMatchObject({ a, b });
    const row = (m: string) => diff.rows.find((x: { metric: string }) => x.metric === m);
    expect(row('engine.chains')).toEqual({ metric: 'engine.chains', a: 1000, b: 1000, ratio: 1 });
    const enter = row('enter.calls');
    expect(enter.a).toBe(lines[0].enter.calls);
    expect(enter.b).toBe(lines[2].enter.calls);
    expect(enter.ratio).toBeCloseTo(enter.b / enter.a, 10);
    expect(row('READ.completed')).toBeDefined();

    const h = await runCli(['report', a, b]);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/── diff/);
    expect(h.stdout).toMatch(/A = .*link\.usrec \(link\)/);
    expect(h.stdout).toMatch(/B = .*user\.usrec \(user\)/);
    expect(h.stdout).toMatch(/^\s+engine\.chains\s+1000\s+1000\s+1\.000$/m);
  });
});
