// The proxy's metrics actor: folds cache events and gauges into counters and answers METRICS.
import type { Observable } from 'rxjs';
import { operate } from '../bus/actor.js';
import type { Inbound } from '../bus/inbound.js';
import { ok } from '../protocol/response.js';
import { Counters, hitRate } from '../metrics/counters.js';
import { isoTime, type Clock } from '../time/clock.js';
import { CACHE_EVENTS, type CacheEvent, type CacheGauges } from './messages.js';

export type ProxyMetricsInput = { event: CacheEvent } | { gauges: CacheGauges } | { metrics: Inbound };

/** The report keeps the original field names first (PROTOCOL.md); extensions follow. */
export function proxyMetricsActor() {
  return (inbox: Observable<ProxyMetricsInput>, clock: Clock): Observable<never> =>
    operate<ProxyMetricsInput, never>(inbox, () => {
      const startTime = isoTime(clock);
      const counters = new Counters(CACHE_EVENTS);
      let gauges: CacheGauges = { entries: 0, bytes: 0, evictions: 0 };
      return (input) => {
        if ('event' in input) {
          counters.inc(input.event);
          return;
        }
        if ('gauges' in input) {
          gauges = input.gauges;
          return;
        }
        const hits = counters.get('hit');
        const misses = counters.get('miss');
        input.metrics.reply(
          ok({
            start_time: startTime,
            total_requests: hits + misses,
            hit_rate: hitRate(hits, misses),
            hits,
            misses,
            origin_fetches: counters.get('origin_fetch'),
            coalesced: counters.get('coalesced'),
            origin_errors: counters.get('origin_error'),
            stale_served: counters.get('stale_served'),
            negative_hits: counters.get('negative_hit'),
            peer_fills: counters.get('peer_fill'),
            evictions: gauges.evictions,
            entries: gauges.entries,
            bytes: gauges.bytes,
            revalidations: counters.get('revalidation'),
            not_modified: counters.get('not_modified'),
          }),
        );
      };
    });
}
