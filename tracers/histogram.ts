// Latency histograms as the kernel side fills them (bpf/tracer.bpf.c,
// hist_bucket): values below 2^SUB_BITS get a bucket each, then every power
// of two is split into 2^SUB_BITS linear sub-buckets.
import { ABI } from '../core/abi.js';

export const SUB_BITS = ABI.histSubBits;
export const BUCKETS = ABI.histBuckets;
const SUB = 1 << SUB_BITS;

/** Lowest value and width of bucket b. */
export function bucketRange(b: number): { low: number; width: number } {
  if (b < SUB) return { low: b, width: 1 };
  const l = Math.floor(b / SUB) + SUB_BITS - 1;
  const sub = b % SUB;
  const width = 2 ** (l - SUB_BITS);
  return { low: (SUB + sub) * width, width };
}

/** The bucket a value falls in (same rule as the BPF side). */
export function bucketOf(v: number): number {
  if (v < SUB) return Math.max(0, Math.floor(v));
  const l = Math.floor(Math.log2(v));
  const sub = Math.floor(v / 2 ** (l - SUB_BITS)) & (SUB - 1);
  return Math.min(BUCKETS - 1, ((l - SUB_BITS + 1) << SUB_BITS) + sub);
}

export function histCount(h: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < h.length; i++) n += h[i];
  return n;
}

/**
 * Value at quantile q (0..1), interpolated linearly inside its bucket and
 * never above the observed maximum when one is known.
 */
export function quantile(h: ArrayLike<number>, q: number, maxNs?: number): number {
  const total = histCount(h);
  if (total === 0) return 0;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let b = 0; b < h.length; b++) {
    if (h[b] === 0) continue;
    if (seen + h[b] >= rank) {
      const { low, width } = bucketRange(b);
      const v = low + (width * (rank - seen)) / h[b];
      return Math.round(maxNs !== undefined && maxNs > 0 ? Math.min(v, maxNs) : v);
    }
    seen += h[b];
  }
  return maxNs ?? 0;
}

/** a - b, bucket by bucket (for per-interval histograms). */
export function histDiff(a: ArrayLike<number>, b: ArrayLike<number> | undefined): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] - (b ? b[i] : 0);
  return out;
}

/** The largest value a histogram can prove (upper edge of its last bucket). */
export function histUpperBound(h: ArrayLike<number>): number {
  for (let b = h.length - 1; b >= 0; b--) {
    if (h[b] > 0) {
      const { low, width } = bucketRange(b);
      return low + width - 1;
    }
  }
  return 0;
}
