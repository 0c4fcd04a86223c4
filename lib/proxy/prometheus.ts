// The proxy's Prometheus series, read from its METRICS report (PROTOCOL.md names each field).
import { commonSeries, type Series } from '../metrics/prometheus.js';
import type { ProxyReport } from './metrics-actor.js';

type Field = Exclude<{ [K in keyof ProxyReport]-?: ProxyReport[K] extends number | undefined ? K : never }[keyof ProxyReport], undefined>;

const counter = (name: string, help: string, field: Field): Series<ProxyReport> => ({ name, help, type: 'counter', read: (s) => s.report[field] ?? 0 });
const gauge = (name: string, help: string, field: Field): Series<ProxyReport> => ({ name, help, type: 'gauge', read: (s) => s.report[field] ?? 0 });

/** Every node's series, then the cache's and the origin's, one per METRICS counter or gauge. */
export const PROXY_SERIES: readonly Series<ProxyReport>[] = [
  ...commonSeries<ProxyReport>(),
  counter('dproxy_cache_hits_total', 'GETs answered from the cache (stale answers in grace and NOT_FOUND from cache included)', 'hits'),
  counter('dproxy_cache_misses_total', 'GETs not answered from the cache', 'misses'),
  counter('dproxy_cache_coalesced_total', 'misses that waited on another request\'s fetch of the same key', 'coalesced'),
  counter('dproxy_cache_stale_served_total', 'answers marked stale (grace or stale-if-error)', 'stale_served'),
  counter('dproxy_cache_negative_hits_total', 'NOT_FOUND answered from the cache', 'negative_hits'),
  counter('dproxy_cache_evictions_total', 'entries dropped for room', 'evictions'),
  gauge('dproxy_cache_entries', 'entries held now', 'entries'),
  gauge('dproxy_cache_bytes', 'bytes of answers held now', 'bytes'),
  counter('dproxy_origin_fetches_total', 'fetches sent to the origin', 'origin_fetches'),
  counter('dproxy_origin_errors_total', 'fetches that failed (after their retry, if retried)', 'origin_errors'),
  counter('dproxy_peer_fills_total', 'misses filled from a peer instead of the origin', 'peer_fills'),
];
