// The proxy's actors on one bus, without its TCP edges: cache <-> fetcher -> origin and peer ports, metrics beside.
import { Bus, topic } from '../bus/bus.js';
import { router, withAdminToken, type NodeGraph } from '../bus/routes.js';
import type { Clock } from '../time/clock.js';
import { cacheActor, type CacheActorOptions, type CacheInput, type CacheOutput } from './cache-actor.js';
import { fetcher, type OriginPort, type PeerPort } from './fetcher.js';
import { proxyMetricsActor, type ProxyMetricsInput, type ProxyReport } from './metrics-actor.js';
import type { FailureCause, FetchOrder } from './messages.js';
import { originLog } from './origin-log.js';
import type { Scrape } from '../metrics/sample.js';
import { SILENT, type Log } from '../log/log.js';

/** The clock every actor reads, the cache's options (in ms), the admin token, and the log. */
export interface ProxyGraphOptions {
  clock: Clock;
  cache: CacheActorOptions;
  /** PURGE needs `"token"` equal to it; without one, PURGE is refused UNAUTHORIZED. */
  adminToken?: string;
  /** Where origin failures are logged (origin-log.ts); nothing is logged without one. */
  log?: Log;
  /** The causes of a failed origin fetch that the fetcher retries (--origin-retry-on); its default without them. */
  retryOn?: readonly FailureCause[];
}

/** The proxy's graph, and the way its exporters read the metrics actor. */
export interface ProxyGraph extends NodeGraph {
  scrape: Scrape<ProxyReport>;
}

const T = {
  cache: topic<CacheInput>('cache'),
  fetch: topic<FetchOrder>('fetch'),
  metrics: topic<ProxyMetricsInput>('metrics'),
};

/**
 * Wires the proxy's actors to its table of ops: GET, PURGE and ADD_PEER to the cache, METRICS to
 * metrics. `peers` is where misses spilled here are filled from (the other proxies); without it,
 * every miss goes to the origin.
 */
export function proxyGraph(options: ProxyGraphOptions, origin: OriginPort, peers?: PeerPort): ProxyGraph {
  const bus = new Bus(options.clock);
  // Held, not looked up by name, on the hot path.
  const cache = bus.topic(T.cache);
  const metrics = bus.topic(T.metrics);
  const fetch = bus.topic(T.fetch);
  bus.spawn(
    cacheActor(options.cache),
    T.cache,
    // The cache's output sorted as it leaves: fetch orders to the fetcher, events and gauges to metrics.
    { next: (o: CacheOutput) => ('fetch' in o ? fetch.next(o.fetch) : metrics.next(o)) },
  );
  const origins = originLog(options.log ?? SILENT, options.clock);
  // What the fetcher brings back goes to the cache's one inbox, so a hit passes no merge.
  bus.spawn(fetcher(origin, { peers, ...(options.retryOn === undefined ? {} : { retryOn: options.retryOn }) }), T.fetch, {
    next: (fetched) => {
      origins.note(fetched);
      cache.next({ fetched });
    },
  });
  bus.spawn(proxyMetricsActor(), T.metrics);

  return {
    accept: router({
      GET: (message) => cache.next({ get: message }),
      METRICS: (message) => metrics.next({ metrics: message }),
      PURGE: withAdminToken(options.adminToken, (message) => cache.next({ purge: message })),
      ADD_PEER: withAdminToken(options.adminToken, (message) => cache.next({ peer: message })),
    }),
    scrape: (take) => metrics.next({ scrape: take }),
    close: () => {
      bus.close();
      origins.close();
    },
  };
}
