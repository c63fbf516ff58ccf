// The metric families of tracers/metrics.ts as prom-client metrics, in the
// Prometheus text format or OpenMetrics, chosen by the scraper's Accept
// header. The values are not kept in prom-client: each metric's get() reads
// the families built for the scrape at hand from one tracer snapshot, so a
// scrape costs one snapshot and the text rendering, nothing per request.
import client from 'prom-client';
import type { HistogramSample, MetricFamily } from './metrics.js';

const { Registry } = client;
type RegistryT = client.Registry<client.RegistryContentType>;

type Values = { value: number; labels: Record<string, string | number>; metricName?: string }[];

function histogramValues(name: string, samples: HistogramSample[]): Values {
  const out: Values = [];
  for (const s of samples) {
    let cum = 0;
    s.bounds.forEach((le, i) => {
      cum += s.counts[i];
      out.push({ metricName: `${name}_bucket`, labels: { ...s.labels, le }, value: cum });
    });
    out.push({ metricName: `${name}_bucket`, labels: { ...s.labels, le: '+Inf' }, value: s.count });
    out.push({ metricName: `${name}_sum`, labels: s.labels, value: s.sum });
    out.push({ metricName: `${name}_count`, labels: s.labels, value: s.count });
  }
  return out;
}

/**
 * One family as prom-client's registry sees a metric. The OpenMetrics
 * registry renames counters (drops `_total`, writes it back on each
 * sample), which is why every registry gets its own objects.
 */
class FamilyMetric {
  name: string;
  readonly help: string;
  readonly type: MetricFamily['type'];
  readonly aggregator = 'sum' as const;

  constructor(
    private readonly family: string,
    meta: MetricFamily,
    private readonly current: () => Map<string, MetricFamily>,
  ) {
    this.name = family;
    this.help = meta.help;
    this.type = meta.type;
  }

  get() {
    const f = this.current().get(this.family);
    let values: Values = [];
    if (f?.type === 'histogram') values = histogramValues(this.name, f.samples);
    else if (f) values = f.samples.map((s) => ({ labels: s.labels, value: s.value }));
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {}
}

export interface Exposition {
  contentType: string;
  body: string;
}

/** Renders `build()`'s families for a scraper, in the format its Accept header prefers. */
export class PrometheusExposition {
  private readonly text: RegistryT;
  private readonly openMetrics: RegistryT;
  private families = new Map<string, MetricFamily>();

  constructor(template: MetricFamily[]) {
    // The types take no argument; the constructor does (and the content type is per registry).
    const make = (type: client.RegistryContentType) => new (Registry as unknown as new (t: string) => RegistryT)(type);
    this.text = make(Registry.PROMETHEUS_CONTENT_TYPE);
    this.openMetrics = make(Registry.OPENMETRICS_CONTENT_TYPE);
    const current = () => this.families;
    for (const reg of [this.text, this.openMetrics]) {
      for (const f of template) reg.registerMetric(new FamilyMetric(f.name, f, current) as unknown as client.Metric);
    }
  }

  /** Whether an Accept header asks for OpenMetrics (Prometheus 2.x does). */
  static wantsOpenMetrics(accept: string | undefined): boolean {
    return !!accept && /application\/openmetrics-text/i.test(accept);
  }

  async render(families: MetricFamily[], accept: string | undefined): Promise<Exposition> {
    this.families = new Map(families.map((f) => [f.name, f]));
    const reg = PrometheusExposition.wantsOpenMetrics(accept) ? this.openMetrics : this.text;
    return { contentType: reg.contentType, body: await reg.metrics() };
  }
}
