// A load balancer node: server edge -> balancer graph -> TCP links to the proxies.
import { ServerEdge, type EdgeBounds } from '../net/server.js';
import { withEdgeMetrics } from '../net/edge-metrics.js';
import { StartupError, type RunningNode } from '../net/lifecycle.js';
import { readAddress, reachesItself } from '../protocol/address.js';
import { balancerGraph, type BalancerGraphOptions } from './graph.js';
import { proxyLinks } from './links.js';

/** How `bin/load-balancer` starts a balancer: the graph's options (the request timeout among them), where it listens, and its connect timeout. */
export interface BalancerOptions extends BalancerGraphOptions, EdgeBounds {
  host: string;
  port: number;
  /** Milliseconds a connection to a proxy may take to open. */
  connectTimeout: number;
}

/**
 * Starts a balancer listening on `host:port` with links to every proxy; resolves once it listens.
 * Rejects when it cannot listen, or with a StartupError when a proxy is not `host:port` or is the
 * balancer's own address.
 */
export async function startBalancer(options: BalancerOptions): Promise<RunningNode> {
  for (const proxy of options.proxies) {
    const address = readAddress(proxy);
    if (address === undefined) throw new StartupError(`proxy "${proxy}" is not host:port (--proxies)`);
    if (reachesItself(options, address)) throw new StartupError(`proxy ${proxy} is the balancer's own address (--proxies)`);
  }
  const links = proxyLinks(options.proxies, options);
  const graph = balancerGraph(options, links);
  const edge: ServerEdge = new ServerEdge(options, withEdgeMetrics(graph.accept, () => edge.metrics));
  const address = await edge.listen();
  return {
    address,
    drain: async () => {
      await edge.drain();
      links.close();
      graph.close();
    },
  };
}
