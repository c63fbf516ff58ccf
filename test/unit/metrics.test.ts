// serve's metric families without a kernel: the le edges are exactly the
// kernel's bucket bounds, the exposition's buckets are cumulative and end in
// +Inf = count, OpenMetrics names counters as it must, and the OTLP export
// carries the same buckets.
import type { NativeSnapshot } from '../../native/index.js';
import { bucketOf, BUCKETS } from '../../tracers/histogram.js';
import { buildMetrics, LATENCY_BOUNDS_S } from '../../tracers/metrics.js';
import { otlpName, toResourceMetrics } from '../../tracers/otlp.js';
import { PrometheusExposition } from '../../tracers/prometheus.js';
import { emptySnapshot } from '../../tracers/summary.js';

function snapshotWith(latenciesNs: number[]): NativeSnapshot {
  const s = emptySnapshot(1);
  const hist = new Float64Array(BUCKETS);
  for (const v of latenciesNs) hist[bucketOf(v)]++;
  const op = {
    opcode: 22, submitted: latenciesNs.length, completed: latenciesNs.length, errors: 1, cancelled: 2,
    latCount: latenciesNs.length, latSumNs: latenciesNs.reduce((a, b) => a + b, 0), latMaxNs: Math.max(...latenciesNs), hist,
  };
  s.ops = [op];
  s.targets = [{ tgid: 42, counters: { ...s.counters, failLink: 3 }, ops: [op] }];
  s.threads = [
    { tid: 42, tgid: 42, kind: 'app', comm: 'app', voluntary: 5, involuntary: 1, offcpuNs: 2e9, oncpuNs: 0, enterCalls: 7, enterNs: 0, enterToSubmit: 9, waits: 6, waitNs: 1.5e9 },
    { tid: 43, tgid: 42, kind: 'sqpoll', comm: 'iou-sqp-42', voluntary: 4, involuntary: 0, offcpuNs: 0, oncpuNs: 0, enterCalls: 0, enterNs: 0, enterToSubmit: 0, waits: 0, waitNs: 0 },
  ];
  return s;
}

const names = Object.assign([], { 22: 'READ' }) as string[];

function families(lat: number[]) {
  return buildMetrics({ snapshot: snapshotWith(lat), targets: new Map([[42, { pid: 42, comm: 'app' }]]), opNames: names, targetsDropped: 1 });
}

describe('serve metrics', () => {
  test('every le edge is the inclusive upper bound of a kernel bucket, in order', () => {
    expect(LATENCY_BOUNDS_S).toHaveLength(BUCKETS - 1);
    LATENCY_BOUNDS_S.forEach((le, b) => {
      const ns = Math.round(le * 1e9);
      expect(bucketOf(ns)).toBe(b);
      expect(bucketOf(ns + 1)).toBe(b + 1);
    });
  });

  test('text exposition: cumulative buckets, +Inf = count, labels {op, comm, pid}', async () => {
    const lat = [700, 700, 800, 5000, 1e6];
    const f = families(lat);
    const e = await new PrometheusExposition(f).render(f, undefined);
    expect(e.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const bucket = (le: string) => Number(new RegExp(`^uringscope_request_latency_seconds_bucket\\{op="READ",comm="app",pid="42",le="${le.replace(/[.+]/g, '\\$&')}"\\} (\\d+)$`, 'm').exec(e.body)?.[1]);
    expect(bucket('7.67e-7')).toBe(2); // 700 ns: bucket 640-767
    expect(bucket('8.95e-7')).toBe(3); // + 800 ns
    expect(bucket('0.000005119')).toBe(4);
    expect(bucket('+Inf')).toBe(5);
    expect(e.body).toMatch(/^uringscope_request_latency_seconds_count\{op="READ",comm="app",pid="42"\} 5$/m);
    expect(e.body).toMatch(/^uringscope_requests_cancelled_total\{op="READ",comm="app",pid="42"\} 2$/m);
    expect(e.body).toMatch(/^uringscope_link_failures_total\{comm="app",pid="42"\} 3$/m);
    expect(e.body).toMatch(/^uringscope_enter_submitted_total\{comm="app",pid="42"\} 9$/m);
    expect(e.body).toMatch(/^uringscope_enter_waits_total\{comm="app",pid="42"\} 6$/m);
    expect(e.body).toMatch(/^uringscope_enter_wait_seconds_total\{comm="app",pid="42"\} 1\.5$/m);
    expect(e.body).toMatch(/^uringscope_context_switches_total\{thread="sqpoll",kind="voluntary",comm="app",pid="42"\} 4$/m);
    expect(e.body).toMatch(/^uringscope_offcpu_seconds_total\{thread="app",comm="app",pid="42"\} 2$/m);
    expect(e.body).toMatch(/^uringscope_targets 1$/m);
    expect(e.body).toMatch(/^uringscope_targets_dropped_total 1$/m);
  });

  test('OpenMetrics: counter families without _total, samples with it, # EOF; text format unchanged after', async () => {
    const f = families([1000]);
    const x = new PrometheusExposition(f);
    const om = await x.render(f, 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5');
    expect(om.contentType).toMatch(/^application\/openmetrics-text; version=1\.0\.0/);
    expect(om.body).toMatch(/^# TYPE uringscope_requests_completed counter$/m);
    expect(om.body).toMatch(/^uringscope_requests_completed_total\{op="READ",comm="app",pid="42"\} 1$/m);
    expect(om.body.endsWith('# EOF\n')).toBe(true);
    const text = await x.render(f, 'text/plain');
    expect(text.body).toMatch(/^# TYPE uringscope_requests_completed_total counter$/m);
  });

  test('OTLP: dotted names without _total, cumulative monotonic sums, the same bucket bounds', () => {
    expect(otlpName('uringscope_requests_completed_total')).toBe('uringscope.requests.completed');
    expect(otlpName('uringscope_request_latency_seconds')).toBe('uringscope.request.latency.seconds');
    const rm = toResourceMetrics(families([700, 800]), 1000, 2000);
    const ms = rm.scopeMetrics[0].metrics;
    expect(ms.map((m) => m.descriptor.name)).not.toContain('uringscope.bpf.ops.loop.steps'); // declared, never measured
    const h = ms.find((m) => m.descriptor.name === 'uringscope.request.latency.seconds')!;
    expect(h.descriptor.unit).toBe('s');
    const dp = h.dataPoints[0] as unknown as { value: { buckets: { boundaries: number[]; counts: number[] }; count: number }; attributes: Record<string, string> };
    expect(dp.value.buckets.boundaries).toEqual([...LATENCY_BOUNDS_S]);
    expect(dp.value.buckets.counts.reduce((a, b) => a + b, 0)).toBe(2);
    expect(dp.attributes).toEqual({ op: 'READ', comm: 'app', pid: '42' });
    const c = ms.find((m) => m.descriptor.name === 'uringscope.requests.completed')! as unknown as { isMonotonic: boolean };
    expect(c.isMonotonic).toBe(true);
  });
});
