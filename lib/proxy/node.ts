// A proxy node: server edge -> proxy graph (cache <-> fetcher, metrics) -> origin (line link or HTTP pool), and links to peers.
import { ServerEdge, type EdgeBounds } from '../net/server.js';
import { withEdgeMetrics } from '../net/edge-metrics.js';
import { UpstreamLink } from '../net/upstream.js';
import { StartupError, type RunningNode } from '../net/lifecycle.js';
import type { NodeGraph } from '../bus/routes.js';
import type { Clock } from '../time/clock.js';
import { proxyGraph } from './graph.js';
import { originOverLink } from './origin-link.js';
import { peerLinks } from './peer-link.js';
import { httpOrigin } from './http-origin.js';
import type { OriginPort } from './fetcher.js';
import type { OriginUrl } from './origin-url.js';
import type { FailureCause } from './messages.js';
import { parseAddress, reachesItself } from '../protocol/address.js';
import { SILENT } from '../log/log.js';
import { withAccessLog } from '../log/access-log.js';
import { metricsPortOf } from '../metrics/serve.js';
import { PROXY_SERIES } from './prometheus.js';
import type { NodeObservability } from '../log/observability.js';

export type CacheType = 'ttl' | 'lru';

/** How `bin/proxy` starts a proxy: where it listens, its origin, its cache (times in seconds), its admin token. */
export interface ProxyOptions extends EdgeBounds, NodeObservability {
  host: string;
  port: number;
  originHost: string;
  originPort: number;
  /** An HTTP origin (--origin-url) to fetch from instead of the line-protocol one at originHost:originPort. */
  originUrl?: OriginUrl;
  /** Headers every request to the HTTP origin carries (--origin-header), names in lower case. */
  originHeaders?: Readonly<Record<string, string>>;
  /** Bytes of an HTTP origin's body at most; a longer answer fails the fetch. */
  maxObjectSize: number;
  /** Seconds past its fresh time an entry with a validator (ETag, Last-Modified) is kept for a conditional refresh. */
  keep: number;
  clock: Clock;
  cacheType: CacheType;
  /** Seconds a value is fresh: 0 = not cached, Infinity = never expires (the default for `lru`). */
  ttl: number;
  lruCapacity: number;
  cacheMaxBytes: number;
  originTimeout: number;
  /**
   * The causes of a failed origin fetch retried once (--origin-retry-on; retry-on.ts): a timeout
   * only when it names `response-timeout`. The fetcher's default without it.
   */
  originRetryOn?: readonly FailureCause[];
  /** Connections to the origin open at once at most; misses past them wait their turn (lib/net/upstream.ts). */
  originMaxConnections: number;
  /** Seconds past TTL a value is served at once while it is refreshed. */
  grace: number;
  /** Seconds past TTL a value is served when the origin fails. */
  staleIfError: number;
  /** Seconds a NOT_FOUND is cached. */
  negativeTtl: number;
  /** PURGE and ADD_PEER need `"token"` equal to it; without one, they are refused UNAUTHORIZED. */
  adminToken?: string;
  /**
   * The other proxies (`host:port`, spelled as the balancer's --proxies spells them): a miss the
   * balancer spilled here from one of them is filled from it, before the origin.
   */
  peers?: readonly string[];
}

/**
 * Starts a proxy listening on `host:port` with one upstream link to its origin, or one HTTP pool
 * to its `originUrl`; resolves once it listens. Rejects when it cannot listen, or with a
 * StartupError when its origin is its own address.
 */
export async function startProxy(options: ProxyOptions): Promise<RunningNode> {
  const target = originAddress(options);
  if (reachesItself(options, target)) {
    const flag = options.originUrl === undefined ? '--origin-port' : '--origin-url';
    throw new StartupError(`its origin ${target.host}:${target.port} is its own address: it would ask itself for every miss (${flag})`);
  }
  // The cache names the proxy by its port, known once listening. The graph is built in the same
  // turn as `listen` resolves, before any socket can deliver a request.
  let accept: NodeGraph['accept'] | undefined;
  const log = options.log ?? SILENT;
  const late: NodeGraph['accept'] = (message) => accept!(message);
  const handle = options.accessLog === true ? withAccessLog(late, log, options.clock) : late;
  const edge: ServerEdge = new ServerEdge(options, withEdgeMetrics(handle, () => edge.metrics));
  const address = await edge.listen();
  const origin = originOf(options);
  // A peer that does not answer within the origin's timeout is given up on for the origin.
  const peers = peerLinks(
    (peer) => new UpstreamLink({ ...parseAddress(peer), clock: options.clock, requestTimeout: options.originTimeout, ids: true }),
  );
  const graph = proxyGraph(
    {
      clock: options.clock,
      adminToken: options.adminToken,
      log,
      ...(options.originRetryOn === undefined ? {} : { retryOn: options.originRetryOn }),
      cache: {
        node: address.port,
        ttl: options.ttl * 1000,
        grace: options.grace * 1000,
        staleIfError: options.staleIfError * 1000,
        negativeTtl: options.negativeTtl * 1000,
        keep: options.keep * 1000,
        maxEntries: options.cacheType === 'lru' ? options.lruCapacity : undefined,
        maxBytes: options.cacheMaxBytes,
        peers: options.peers,
      },
    },
    origin.port,
    peers.port,
  );
  accept = graph.accept;
  const metrics = await metricsPortOf(options, edge, address, {
    role: 'proxy',
    series: PROXY_SERIES,
    scrape: graph.scrape,
  });

  return {
    address,
    metrics: metrics?.address,
    drain: async () => {
      await edge.drain();
      await metrics?.close();
      await origin.close();
      peers.close();
      graph.close();
    },
  };
}

/** Where the origin the options name listens: the HTTP origin's host and port (80 or 443 when the URL has none), or the line-protocol one's. */
function originAddress(options: ProxyOptions): { host: string; port: number } {
  if (options.originUrl === undefined) return { host: options.originHost, port: options.originPort };
  const url = new URL(options.originUrl.origin);
  // URL keeps IPv6 hosts in brackets; addresses elsewhere are without them.
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port) };
}

/** The origin port the options name: an HTTP pool for `originUrl`, else a line-protocol link. */
function originOf(options: ProxyOptions): { port: OriginPort; close(): Promise<void> | void } {
  if (options.originUrl !== undefined) {
    return httpOrigin({
      url: options.originUrl,
      clock: options.clock,
      timeout: options.originTimeout,
      maxConnections: options.originMaxConnections,
      maxObjectSize: options.maxObjectSize,
      ttl: options.ttl * 1000,
      ...(options.originHeaders === undefined ? {} : { headers: options.originHeaders }),
    });
  }
  const link = new UpstreamLink({
    host: options.originHost,
    port: options.originPort,
    clock: options.clock,
    requestTimeout: options.originTimeout,
    maxConnections: options.originMaxConnections,
  });
  return { port: originOverLink(link), close: () => link.close() };
}
