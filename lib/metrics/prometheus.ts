// Prometheus exposition of a node's metrics through prom-client: one registry per node, read from a sample per scrape.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { BOUNDS_MS, type BucketCounts } from './buckets.js';
import type { Sample } from './sample.js';

export type Labels = Record<string, string>;

/**
 * One metric family read from a sample: a single value, or values by label. Names and units
 * follow Prometheus' conventions (https://prometheus.io/docs/practices/naming/): `_total` for
 * counters, base units (seconds, bytes).
 */
export interface Series<R> {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge';
  readonly labelNames?: readonly string[];
  read(sample: Sample<R>): number | ReadonlyArray<readonly [Labels, number]>;
}

/** The series of the histogram every timed node exposes. */
export const DURATION_NAME = 'dproxy_request_duration_seconds';

/** Series every node has: GETs by status, and its server edge's connections (lib/net/edge-metrics.ts). */
export function commonSeries<R extends { connections?: number; connections_refused?: number; idle_closed?: number }>(): Series<R>[] {
  return [
    {
      name: 'dproxy_requests_total',
      help: 'GET requests answered, by status',
      type: 'counter',
      labelNames: ['status'],
      read: (s) => Object.entries(s.statuses).map(([status, n]) => [{ status }, n] as const),
    },
    { name: 'dproxy_connections', help: 'client connections open now', type: 'gauge', read: (s) => s.report.connections ?? 0 },
    { name: 'dproxy_connections_refused_total', help: 'connections refused by --max-connections', type: 'counter', read: (s) => s.report.connections_refused ?? 0 },
    { name: 'dproxy_connections_idle_closed_total', help: 'connections closed by --idle-timeout', type: 'counter', read: (s) => s.report.idle_closed ?? 0 },
  ];
}

type Metric = Counter<string> | Gauge<string>;

/**
 * A node's registry: `labels` (its role and address) on every series, prom-client's process
 * metrics, the node's series, and `dproxy_request_duration_seconds` from the sample's buckets.
 * Nothing is recorded per request here: each scrape takes one sample from the metrics actor and
 * sets every series from it, so the hit path pays nothing for Prometheus.
 */
export class PrometheusExporter<R> {
  private readonly registry = new Registry();
  private readonly metrics: [Series<R>, Metric][];
  private duration: BucketCounts | undefined;
  // Scrapes run one at a time, so two never interleave their samples.
  private last: Promise<unknown> = Promise.resolve();

  constructor(
    labels: Labels,
    series: readonly Series<R>[],
    private readonly take: () => Promise<Sample<R>>,
    timed = true,
  ) {
    this.registry.setDefaultLabels(labels);
    collectDefaultMetrics({ register: this.registry });
    this.metrics = series.map((s) => {
      const config = { name: s.name, help: s.help, labelNames: [...(s.labelNames ?? [])], registers: [this.registry] };
      return [s, s.type === 'counter' ? new Counter(config) : new Gauge(config)];
    });
    if (timed) this.registerDuration();
  }

  private registerDuration(): void {
    const exporter = this;
    // prom-client's Histogram records one observation at a time; this one is read whole from the
    // sample's buckets, through the registry's contract for a metric (`name`, `get`).
    this.registry.registerMetric({
      name: DURATION_NAME,
      get: async () => ({
        name: DURATION_NAME,
        help: 'how long GET requests took to answer, from the node reading them (clock resolution: 1 ms)',
        type: 'histogram',
        aggregator: 'sum',
        values: histogramValues(exporter.duration),
      }),
    } as never);
  }

  /** The content type of `render`'s text (Prometheus text format 0.0.4). */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** The text exposition of one fresh sample. */
  render(): Promise<string> {
    const next = this.last.then(async () => {
      const sample = await this.take();
      for (const [series, metric] of this.metrics) set(metric, series.read(sample));
      this.duration = sample.duration;
      return this.registry.metrics();
    });
    this.last = next.catch(() => undefined);
    return next;
  }
}

function set(metric: Metric, value: number | ReadonlyArray<readonly [Labels, number]>): void {
  metric.reset();
  const values = typeof value === 'number' ? [[{}, value] as const] : value;
  for (const [labels, n] of values) {
    if (metric instanceof Counter) metric.inc(labels, n);
    else metric.set(labels, n);
  }
}

/** `_bucket` lines (cumulative, `le` in seconds), `_sum` (seconds) and `_count`; nothing before the first sample. */
function histogramValues(duration: BucketCounts | undefined): { metricName: string; labels: Labels; value: number }[] {
  if (duration === undefined) return [];
  const values: { metricName: string; labels: Labels; value: number }[] = [];
  let cumulative = 0;
  duration.counts.forEach((count, i) => {
    cumulative += count;
    const le = i < BOUNDS_MS.length ? String(BOUNDS_MS[i]! / 1000) : '+Inf';
    values.push({ metricName: `${DURATION_NAME}_bucket`, labels: { le }, value: cumulative });
  });
  values.push({ metricName: `${DURATION_NAME}_sum`, labels: {}, value: duration.sumMs / 1000 });
  values.push({ metricName: `${DURATION_NAME}_count`, labels: {}, value: duration.count });
  return values;
}
