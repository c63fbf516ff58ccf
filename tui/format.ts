// Text shapes shared by the panels: the CLI's number formats plus sparklines
// and bars, so every view prints the same number the same way.
export { fmtCount, fmtNs } from '../core/units.js';
import { fmtCount } from '../core/units.js';

const SPARK = ' ▁▂▃▄▅▆▇█';

/** The last `width` values as one row of block characters, scaled to their max. */
export function sparkline(values: readonly number[], width: number): string {
  const v = values.slice(-Math.max(0, width));
  const max = Math.max(0, ...v);
  return v.map((x) => (max > 0 ? SPARK[Math.min(8, Math.ceil((x / max) * 8))] : SPARK[0])).join('');
}

/** A horizontal bar of `width` cells at most, proportional to value/max. */
export function bar(value: number, max: number, width: number): string {
  if (max <= 0 || value <= 0) return '';
  return '█'.repeat(Math.max(1, Math.round((value / max) * width)));
}

export function fmtRateOr(v: number | undefined): string {
  return v === undefined ? '-' : fmtCount(Math.round(v));
}

export function fmtBytes(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '-';
  if (n < 1024) return `${Math.round(n)}B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)}KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)}MiB`;
  return `${(n / 1024 ** 3).toFixed(2)}GiB`;
}

export function pad(s: string, n: number): string {
  return s.length >= n ? s.slice(0, n) : s + ' '.repeat(n - s.length);
}

export function padStart(s: string, n: number): string {
  return s.length >= n ? s : ' '.repeat(n - s.length) + s;
}

export function ratio(a: number, b: number): string {
  return b > 0 ? (a / b).toFixed(2) : '-';
}
