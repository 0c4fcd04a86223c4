// The proxy's metrics actor: folds cache events and gauges into counters and answers METRICS and scrapes.
import type { Observable } from 'rxjs';
import { operate } from '../bus/actor.js';
import type { Inbound } from '../bus/inbound.js';
import { ok } from '../protocol/response.js';
import { Status } from '../protocol/status.js';
import { Counters, hitRate } from '../metrics/counters.js';
import { DurationBuckets } from '../metrics/buckets.js';
import { LatencyWindow, SLICE_MS, type Percentiles } from '../metrics/window.js';
import type { Sample } from '../metrics/sample.js';
import { every, isoTime, type Clock } from '../time/clock.js';
import { CACHE_EVENTS, type Answered, type CacheEvent, type CacheGauges } from './messages.js';

export type ProxyMetricsInput =
  | { event: CacheEvent }
  | { gauges: CacheGauges }
  | { answered: Answered }
  | { metrics: Inbound }
  | { scrape: (sample: Sample<ProxyReport>) => void };

/** The `data` of a proxy's METRICS answer (PROTOCOL.md): the original fields first, extensions after. */
export interface ProxyReport {
  start_time: string;
  total_requests: number;
  hit_rate: number;
  hits: number;
  misses: number;
  origin_fetches: number;
  coalesced: number;
  origin_errors: number;
  stale_served: number;
  negative_hits: number;
  peer_fills: number;
  evictions: number;
  entries: number;
  bytes: number;
  /** Conditional fetches sent (an ETag or Last-Modified kept), and those the origin answered 304. */
  revalidations: number;
  not_modified: number;
  /** GETs answered over the last minute, from reading to answer, in whole ms of the clock. */
  latency_last_minute_ms: Percentiles;
  /** The edge's fields (lib/net/edge-metrics.ts), added on the way out. */
  connections?: number;
  connections_refused?: number;
  idle_closed?: number;
}

/**
 * Hits are timed in bulk: each takes 0 ms on the clock (messages.ts, `Answered`), so the hits
 * counted since the last fold are recorded at once, at each turn of the window and each reading,
 * and the hit path does no more than count.
 */
export function proxyMetricsActor() {
  return (inbox: Observable<ProxyMetricsInput>, clock: Clock): Observable<never> =>
    operate<ProxyMetricsInput, never>(inbox, () => {
      const startTime = isoTime(clock);
      const counters = new Counters(CACHE_EVENTS);
      const statuses = new Map<string, number>();
      const window = new LatencyWindow();
      const duration = new DurationBuckets();
      let gauges: CacheGauges = { entries: 0, bytes: 0, evictions: 0 };
      let hitsTimed = 0;
      const foldHits = (): void => {
        const hits = counters.get('hit');
        if (hits === hitsTimed) return;
        window.record(0, hits - hitsTimed);
        duration.record(0, hits - hitsTimed);
        hitsTimed = hits;
      };
      const turning = every(clock, SLICE_MS, () => {
        foldHits();
        window.rotate();
      });
      const report = (): ProxyReport => {
        foldHits();
        const hits = counters.get('hit');
        const misses = counters.get('miss');
        return {
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
          latency_last_minute_ms: window.percentiles(),
        };
      };
      // Hits are OK but for negative ones (NOT_FOUND); misses by what their fetch answered.
      const byStatus = (): Record<string, number> => {
        const negative = counters.get('negative_hit');
        const all: Record<string, number> = { [Status.OK]: counters.get('hit') - negative, [Status.NOT_FOUND]: negative };
        for (const [status, n] of statuses) all[status] = (all[status] ?? 0) + n;
        return all;
      };
      return {
        next: (input) => {
          if ('event' in input) counters.inc(input.event);
          else if ('gauges' in input) gauges = input.gauges;
          else if ('answered' in input) {
            const { status, waits } = input.answered;
            statuses.set(status, (statuses.get(status) ?? 0) + waits.length);
            for (const ms of waits) {
              window.record(ms);
              duration.record(ms);
            }
          } else if ('metrics' in input) input.metrics.reply(ok(report()));
          else input.scrape({ report: report(), statuses: byStatus(), duration: duration.snapshot() });
        },
        finalize: () => {
          turning.unsubscribe();
          window.destroy();
        },
      };
    });
}
