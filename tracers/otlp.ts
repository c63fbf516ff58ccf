// `serve --otlp URL`: the same metric families (tracers/metrics.ts) pushed to
// an OpenTelemetry collector over OTLP/HTTP (JSON) at --interval, as
// cumulative sums, gauges and explicit-bucket histograms whose boundaries
// are the kernel's bucket edges. The data points are built straight from
// the snapshot (no SDK instruments: they would re-aggregate what the kernel
// already aggregated, and the SDK has no observable histogram). An endpoint
// that is down is retried with a growing delay and logged; it never stops
// `serve`.
import { hostname } from 'node:os';
import { ValueType, type HrTime } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  DataPointType,
  type MetricData,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import type { MetricFamily } from './metrics.js';
import { redactUrl } from './otlp-url.js';

/** Longest wait between attempts while the endpoint is down. */
export const MAX_BACKOFF_MS = 30_000;

/**
 * OTLP names: the Prometheus name with dots, without the `_total` that
 * Prometheus gives counters (OTLP-to-Prometheus translation adds it back to
 * monotonic sums): uringscope_requests_completed_total ->
 * uringscope.requests.completed.
 */
export function otlpName(promName: string): string {
  return promName.replace(/_total$/, '').replace(/_/g, '.');
}

function hrTime(ms: number): HrTime {
  return [Math.floor(ms / 1000), Math.round((ms % 1000) * 1e6)];
}

/** The families as one OTLP export: cumulative since `startMs`, observed at `nowMs`. */
export function toResourceMetrics(families: MetricFamily[], startMs: number, nowMs: number): ResourceMetrics {
  const startTime = hrTime(startMs);
  const endTime = hrTime(nowMs);
  const metrics: MetricData[] = [];
  for (const f of families) {
    if (!f.samples.length) continue; // declared but not measured (bpf-ops)
    const descriptor = {
      name: otlpName(f.name),
      description: f.help,
      unit: /_seconds(_total)?$/.test(f.name) ? 's' : '1',
      valueType: ValueType.DOUBLE,
    };
    if (f.type === 'histogram') {
      metrics.push({
        descriptor,
        aggregationTemporality: AggregationTemporality.CUMULATIVE,
        dataPointType: DataPointType.HISTOGRAM,
        dataPoints: f.samples.map((s) => ({
          startTime,
          endTime,
          attributes: s.labels,
          value: { buckets: { boundaries: [...s.bounds], counts: s.counts }, sum: s.sum, count: s.count },
        })),
      });
    } else {
      const dataPoints = f.samples.map((s) => ({ startTime, endTime, attributes: s.labels, value: s.value }));
      metrics.push(
        f.type === 'counter'
          ? { descriptor, aggregationTemporality: AggregationTemporality.CUMULATIVE, dataPointType: DataPointType.SUM, isMonotonic: true, dataPoints }
          : { descriptor, aggregationTemporality: AggregationTemporality.CUMULATIVE, dataPointType: DataPointType.GAUGE, dataPoints },
      );
    }
  }
  return {
    resource: resourceFromAttributes({ 'service.name': 'uringscope', 'host.name': hostname() }),
    scopeMetrics: [{ scope: { name: 'uringscope' }, metrics }],
  };
}

export interface OtlpPushOptions {
  url: URL;
  intervalMs: number;
  /** The families of this moment (one snapshot). */
  collect: () => MetricFamily[];
  /** One line per state change: failing (with the next delay), working again. */
  log: (line: string) => void;
}

/** Pushes every interval; on failure waits interval x 2, x 4, ... up to MAX_BACKOFF_MS. */
export class OtlpPusher {
  private readonly exporter: OTLPMetricExporter;
  private timer?: NodeJS.Timeout;
  private failures = 0;
  private stopped = false;
  private readonly startMs = Date.now();
  /** The URL as the log shows it: without its credentials. */
  private readonly shown: string;

  constructor(private readonly o: OtlpPushOptions) {
    this.shown = redactUrl(o.url);
    this.exporter = new OTLPMetricExporter({ url: o.url.toString(), timeoutMillis: Math.max(1000, Math.min(10_000, o.intervalMs)) });
  }

  start(): void {
    this.schedule(this.o.intervalMs);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.pushOnce(), ms);
  }

  private pushOnce(): Promise<void> {
    const rm = toResourceMetrics(this.o.collect(), this.startMs, Date.now());
    return new Promise((resolve) => {
      this.exporter.export(rm, (r) => {
        if (r.code === 0) {
          if (this.failures) this.o.log(`OTLP push to ${this.shown} works again after ${this.failures} failed attempt(s)`);
          this.failures = 0;
          this.schedule(this.o.intervalMs);
        } else {
          this.failures++;
          const delay = Math.min(MAX_BACKOFF_MS, this.o.intervalMs * 2 ** Math.min(this.failures, 16));
          const why = (r.error?.message ?? 'failed').replace(/\s*\n\s*/g, ' ');
          this.o.log(`OTLP push to ${this.shown} failed (${why}); retrying in ${(delay / 1000).toFixed(1)}s`);
          this.schedule(delay);
        }
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.exporter.shutdown().catch(() => {});
  }
}
