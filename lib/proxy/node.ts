// A proxy node: server edge -> cache actor <-> fetcher -> origin link, with a metrics actor beside.
import { Bus, topic } from '../bus/bus.js';
import type { Inbound } from '../bus/inbound.js';
import { ServerEdge } from '../net/server.js';
import { UpstreamLink } from '../net/upstream.js';
import type { RunningNode } from '../net/lifecycle.js';
import { refuseUnauthorized } from '../protocol/admin.js';
import { wrongMethod } from '../protocol/response.js';
import type { Clock } from '../time/clock.js';
import { cacheActor, type CacheInput, type CacheOutput, type GetMessage, type PurgeMessage } from './cache-actor.js';
import { fetcher } from './fetcher.js';
import { proxyMetricsActor, type ProxyMetricsInput } from './metrics-actor.js';
import type { FetchOrder } from './messages.js';
import { originOverLink } from './origin-link.js';

export type CacheType = 'ttl' | 'lru';

export interface ProxyOptions {
  host: string;
  port: number;
  originHost: string;
  originPort: number;
  clock: Clock;
  cacheType: CacheType;
  /** Seconds; 0 means entries never expire (the default for `lru`). */
  ttl: number;
  lruCapacity: number;
  cacheMaxBytes: number;
  originTimeout: number;
  /** Seconds past TTL a value is served at once while it is refreshed. */
  grace: number;
  /** Seconds past TTL a value is served when the origin fails. */
  staleIfError: number;
  /** Seconds a NOT_FOUND is cached. */
  negativeTtl: number;
  /** When set, PURGE needs `"token"` equal to it. */
  adminToken?: string;
}

const T = {
  requests: topic<Inbound>('requests'),
  cache: topic<CacheInput>('cache'),
  fetch: topic<FetchOrder>('fetch'),
  metrics: topic<ProxyMetricsInput>('metrics'),
};

export async function startProxy(options: ProxyOptions): Promise<RunningNode> {
  const bus = new Bus(options.clock);
  const requests = bus.topic(T.requests);
  const edge = new ServerEdge(options, (message) => requests.next(message));
  const address = await edge.listen();
  const link = new UpstreamLink({
    host: options.originHost,
    port: options.originPort,
    clock: options.clock,
    requestTimeout: options.originTimeout,
  });

  // Held, not looked up by name, on the hot path.
  const cache = bus.topic(T.cache);
  const metrics = bus.topic(T.metrics);
  const fetch = bus.topic(T.fetch);
  requests.subscribe((message) => {
    switch (message.request.op) {
      case 'GET':
        return cache.next({ get: message as GetMessage });
      case 'METRICS':
        return metrics.next({ metrics: message });
      case 'PURGE': {
        const refusal = refuseUnauthorized(message.request, options.adminToken);
        if (refusal !== undefined) return message.reply(refusal);
        return cache.next({ purge: message as PurgeMessage });
      }
      default:
        return message.reply(wrongMethod((message.request as { op: string }).op));
    }
  });
  bus.spawn(
    cacheActor({
      node: address.port,
      ttl: options.ttl * 1000,
      grace: options.grace * 1000,
      staleIfError: options.staleIfError * 1000,
      negativeTtl: options.negativeTtl * 1000,
      maxEntries: options.cacheType === 'lru' ? options.lruCapacity : undefined,
      maxBytes: options.cacheMaxBytes,
    }),
    T.cache,
    // The cache's output sorted as it leaves: fetch orders to the fetcher, events and gauges to metrics.
    { next: (o: CacheOutput) => ('fetch' in o ? fetch.next(o.fetch) : metrics.next(o)) },
  );
  // What the fetcher brings back goes to the cache's one inbox, so a hit passes no merge.
  bus.spawn(fetcher(originOverLink(link)), T.fetch, { next: (fetched) => cache.next({ fetched }) });
  bus.spawn(proxyMetricsActor(), T.metrics);

  return {
    address,
    drain: async () => {
      await edge.drain();
      link.close();
      bus.close();
    },
  };
}
