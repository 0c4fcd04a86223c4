// A node's metrics port: its HTTP edge serving Prometheus' /metrics (and any pages the node adds).
import type { AddressInfo } from 'node:net';
import { HttpEdge, type HttpRoutes } from '../net/http-edge.js';
import type { EdgeMetrics } from '../net/edge-metrics.js';
import { PrometheusExporter, type Series } from './prometheus.js';
import { sampleOf, type Sample, type Scrape } from './sample.js';

export interface MetricsPortOptions<R> {
  host: string;
  /** The port to listen on; 0 for any free port. */
  port: number;
  /** `origin`, `proxy` or `load-balancer`: the `role` label. */
  role: string;
  /** The node's TCP address, `host:port`: the `node` label. */
  node: string;
  series: readonly Series<R>[];
  /** Reads the node's metrics actor (its graph's `scrape`). */
  scrape: Scrape<R>;
  /** The TCP edge's counters, added to every report as METRICS adds them. */
  edge: () => EdgeMetrics;
  /** Whether the node times its GETs (`dproxy_request_duration_seconds`). */
  timed?: boolean;
  /** More routes beside `/metrics`, given the same way to read a sample. */
  routes?: (take: () => Promise<Sample<R & EdgeMetrics>>) => HttpRoutes;
}

/** A listening metrics port and how to close it. */
export interface MetricsPort {
  readonly address: AddressInfo;
  close(): Promise<void>;
}

/** Starts a node's metrics port; rejects when it cannot listen. */
export async function serveMetrics<R>(options: MetricsPortOptions<R>): Promise<MetricsPort> {
  const take = async (): Promise<Sample<R & EdgeMetrics>> => {
    const sample = await sampleOf(options.scrape);
    return { ...sample, report: { ...sample.report, ...options.edge() } };
  };
  const exporter = new PrometheusExporter<R>({ role: options.role, node: options.node }, options.series, take, options.timed ?? true);
  const edge = new HttpEdge(options.host, options.port, {
    '/metrics': async () => ({ type: exporter.contentType, body: await exporter.render() }),
    ...options.routes?.(take),
  });
  const address = await edge.listen();
  return { address, close: () => edge.close() };
}

/**
 * A node's metrics port if it was given one (`metricsPort`, from `--metrics-port`), else undefined.
 * The node's host, the address its TCP edge listens on (the `node` label) and that edge's counters
 * are filled in; the rest is as `serveMetrics` takes it. Rejects when it cannot listen.
 */
export function metricsPortOf<R>(
  node: { readonly host: string; readonly metricsPort?: number },
  edge: { readonly metrics: EdgeMetrics },
  address: AddressInfo,
  options: Omit<MetricsPortOptions<R>, 'host' | 'port' | 'node' | 'edge'>,
): Promise<MetricsPort | undefined> {
  if (node.metricsPort === undefined) return Promise.resolve(undefined);
  return serveMetrics({ ...options, host: node.host, port: node.metricsPort, node: `${address.address}:${address.port}`, edge: () => edge.metrics });
}
