// Number formatting for humans: durations from nanoseconds, counts and rates
// with SI suffixes. Tiny and specific enough that a dependency would not pay.

export function fmtNs(ns: number): string {
  if (!Number.isFinite(ns) || ns <= 0) return '-';
  if (ns < 1e3) return `${Math.round(ns)}ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(ns < 1e4 ? 2 : 1)}µs`;
  if (ns < 1e9) return `${(ns / 1e6).toFixed(ns < 1e7 ? 2 : 1)}ms`;
  return `${(ns / 1e9).toFixed(2)}s`;
}

export function fmtCount(n: number): string {
  if (!Number.isFinite(n)) return '-';
  const a = Math.abs(n);
  if (a < 1e4) return Number.isInteger(n) ? String(n) : n.toFixed(1);
  if (a < 1e6) return `${(n / 1e3).toFixed(1)}k`;
  if (a < 1e9) return `${(n / 1e6).toFixed(2)}M`;
  return `${(n / 1e9).toFixed(2)}G`;
}

export function fmtRate(count: number, durationNs: number): string {
  if (durationNs <= 0) return '-';
  return `${fmtCount(count / (durationNs / 1e9))}/s`;
}

export function fmtRatio(a: number, b: number, digits = 2): string {
  return b > 0 ? (a / b).toFixed(digits) : '-';
}
