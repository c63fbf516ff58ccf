// The TS histogram must read buckets exactly as bpf/tracer.bpf.c fills them.
import { BUCKETS, bucketOf, bucketRange, quantile, histUpperBound } from '../../tracers/histogram.js';

describe('latency histogram buckets', () => {
  test('every bucket range maps back to its own bucket, edges included', () => {
    for (let b = 0; b < BUCKETS - 1; b++) {
      const { low, width } = bucketRange(b);
      expect(bucketOf(low)).toBe(b);
      expect(bucketOf(low + width - 1)).toBe(b);
      expect(bucketOf(low + width)).toBe(b + 1);
    }
  });

  test('buckets are contiguous and at most 25% wide above 4ns', () => {
    for (let b = 1; b < BUCKETS; b++) {
      const prev = bucketRange(b - 1);
      const cur = bucketRange(b);
      expect(cur.low).toBe(prev.low + prev.width);
      if (cur.low >= 4) expect(cur.width / cur.low).toBeLessThanOrEqual(0.25);
    }
  });

  test('huge values land in the last bucket', () => {
    expect(bucketOf(2 ** 50)).toBe(BUCKETS - 1);
  });

  test('quantiles interpolate inside a bucket and respect the maximum', () => {
    const h = new Float64Array(BUCKETS);
    for (let v = 1000; v < 2000; v++) h[bucketOf(v)]++;
    const p50 = quantile(h, 0.5);
    expect(p50).toBeGreaterThan(1350);
    expect(p50).toBeLessThan(1650);
    expect(quantile(h, 1, 1999)).toBe(1999);
    expect(quantile(h, 0.99, 1500)).toBe(1500);
    expect(histUpperBound(h)).toBeGreaterThanOrEqual(1999);
    expect(quantile(new Float64Array(BUCKETS), 0.5)).toBe(0);
  });
});
