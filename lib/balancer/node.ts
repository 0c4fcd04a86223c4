// A load balancer node: server edge -> balancer graph -> TCP links to the proxies; a metrics port with the stats page beside.
import { ServerEdge, type EdgeBounds } from '../net/server.js';
import { withEdgeMetrics } from '../net/edge-metrics.js';
import { StartupError, type RunningNode } from '../net/lifecycle.js';
import { readAddress, reachesItself } from '../protocol/address.js';
import { SILENT } from '../log/log.js';
import { withAccessLog } from '../log/access-log.js';
import type { NodeObservability } from '../log/observability.js';
import { metricsPortOf } from '../metrics/serve.js';
import { balancerGraph, type BalancerGraphOptions } from './graph.js';
import { proxyLinks } from './links.js';
import { BALANCER_SERIES } from './prometheus.js';
import { STATS_PAGE } from './stats-page.js';

/** How `bin/load-balancer` starts a balancer: the graph's options (the request timeout among them), where it listens, and its connect timeout. */
export interface BalancerOptions extends BalancerGraphOptions, EdgeBounds, NodeObservability {
  host: string;
  port: number;
  /** Milliseconds a connection to a proxy may take to open. */
  connectTimeout: number;
}

/**
 * Starts a balancer listening on `host:port` with links to every proxy; resolves once it listens
 * (and its metrics port, with `metricsPort`: `/metrics`, the stats page at `/` and the JSON it
 * polls at `/stats.json`, `{"now": ms of the clock, "metrics": the METRICS data}`). Rejects when
 * it cannot listen, or with a StartupError when a proxy is not `host:port` or is the balancer's
 * own address.
 */
export async function startBalancer(options: BalancerOptions): Promise<RunningNode> {
  for (const proxy of options.proxies) {
    const address = readAddress(proxy);
    if (address === undefined) throw new StartupError(`proxy "${proxy}" is not host:port (--proxies)`);
    if (reachesItself(options, address)) throw new StartupError(`proxy ${proxy} is the balancer's own address (--proxies)`);
  }
  const log = options.log ?? SILENT;
  const links = proxyLinks(options.proxies, options);
  const graph = balancerGraph({ ...options, log }, links);
  const accept = options.accessLog === true ? withAccessLog(graph.accept, log, options.clock) : graph.accept;
  const edge: ServerEdge = new ServerEdge(options, withEdgeMetrics(accept, () => edge.metrics));
  const address = await edge.listen();
  const metrics = await metricsPortOf(options, edge, address, {
    role: 'load-balancer',
    series: BALANCER_SERIES,
    scrape: graph.scrape,
    routes: (take) => ({
      '/': async () => ({ type: 'text/html; charset=utf-8', body: STATS_PAGE }),
      '/stats.json': async () => ({ type: 'application/json', body: JSON.stringify({ now: options.clock.now(), metrics: (await take()).report }) }),
    }),
  });
  return {
    address,
    metrics: metrics?.address,
    drain: async () => {
      await edge.drain();
      await metrics?.close();
      links.close();
      graph.close();
    },
  };
}
