// The balancer's metrics actor: the original METRICS shape from the cluster view, plus its own counters.
import type { Observable } from 'rxjs';
import * as hdr from 'hdr-histogram-js';
import { operate } from '../bus/actor.js';
import type { Inbound } from '../bus/inbound.js';
import { ok } from '../protocol/response.js';
import { Counters } from '../metrics/counters.js';
import { DurationBuckets } from '../metrics/buckets.js';
import { LatencyWindow, SLICE_MS, type Percentiles } from '../metrics/window.js';
import type { Sample } from '../metrics/sample.js';
import { every, isoTime, type Clock } from '../time/clock.js';
import type { ClusterView } from './view.js';
import type { Outcome } from './messages.js';
import type { ForwarderOutput } from './forwarder.js';
import { InFlight } from './in-flight.js';
import { blamesProxy } from './health/blame.js';

export type BalancerMetricsInput =
  | { metrics: Inbound }
  | { view: ClusterView }
  /**
   * A routing: the strategy's cursor when it takes the proxies in turn, whether it was a retry,
   * and the proxy it was sent to (none: no proxy to choose).
   */
  | { routed: { cursor?: number; retry: boolean; proxy: number | undefined } }
  /** What became of a forward; its send is counted from the routing, so `sent` outcomes are not needed here. */
  | { outcome: Outcome }
  | Extract<ForwarderOutput, { error: unknown } | { budget: unknown }>
  | { scrape: (sample: Sample<BalancerReport>) => void };

/** One proxy in the balancer's METRICS `proxies` (PROTOCOL.md). */
export interface BalancerProxyReport {
  healthy: boolean;
  /** The proxy's own METRICS data from the last probe, null before the first. */
  metrics: unknown;
  reason: string | null;
  in_flight: number;
  requests: number;
  failures: number;
  timeouts: number;
  ejected: boolean;
  ejections: number;
  weight: number;
  state: string;
  /** Client latency of the requests this proxy answered over the last minute, whole ms of the clock. */
  latency_last_minute_ms: Percentiles;
}

/** The `data` of the balancer's METRICS answer (PROTOCOL.md): the original fields first, extensions after. */
export interface BalancerReport extends Record<(typeof NAMES)[number], number> {
  strategy: string;
  current_index: number;
  proxies: Record<string, BalancerProxyReport>;
  start_time: string;
  retry_budget: { used: number; allowed: number };
  /** Since start. */
  latency_ms: { p50: number; p99: number; max: number };
  /** Over the last minute (lib/metrics/window.ts). */
  latency_last_minute_ms: Percentiles;
  /** The edge's fields (lib/net/edge-metrics.ts), added on the way out. */
  connections?: number;
  connections_refused?: number;
  idle_closed?: number;
}

const NO_LATENCY: Percentiles = Object.freeze({ p50: 0, p90: 0, p99: 0 });

// `forward_failures` are failed forwards that blame the proxy; `forward_timeouts` those that timed out (blame.ts).
const NAMES = ['requests', 'retries', 'no_proxy', 'forward_failures', 'forward_timeouts', 'errors', 'retry_budget_exhausted'] as const;

export function balancerMetricsActor(strategy: string) {
  return (inbox: Observable<BalancerMetricsInput>, clock: Clock): Observable<never> =>
    operate<BalancerMetricsInput, never>(inbox, () => {
      const startTime = isoTime(clock);
      const counters = new Counters(NAMES);
      const perProxy = new Map<number, { requests: number; failures: number; timeouts: number; window?: LatencyWindow }>();
      const inFlight = new InFlight();
      // Client-visible latency on the clock, in ms.
      const latency = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000, numberOfSignificantValueDigits: 2 });
      // The same latencies over the last minute, balancer-wide and per proxy, and since start in buckets.
      const window = new LatencyWindow();
      const duration = new DurationBuckets();
      const statuses = new Map<string, number>();
      const turning = every(clock, SLICE_MS, () => {
        window.rotate();
        for (const c of perProxy.values()) c.window?.rotate();
      });
      let budget = { used: 0, allowed: 0 };
      let view: ClusterView = { proxies: [] };
      // The original's `current_index`: a strategy's turn where it has one, else the proxy chosen last.
      let currentIndex = 0;
      // A 0 ms answer is recorded as the histogram's floor of 1 ms.
      const recordLatency = (ms: number, status: string): void => {
        latency.recordValue(Math.max(1, ms));
        window.record(ms);
        duration.record(ms);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      };
      const proxyCounters = (proxy: number) => {
        let c = perProxy.get(proxy);
        if (c === undefined) perProxy.set(proxy, (c = { requests: 0, failures: 0, timeouts: 0 }));
        return c;
      };
      const report = (): BalancerReport => {
        const proxies: Record<string, BalancerProxyReport> = {};
        for (const p of view.proxies) {
          if (p.membership === 'removed') continue;
          const c = proxyCounters(p.id);
          proxies[p.address] = {
            healthy: p.healthy,
            metrics: p.metrics,
            reason: p.reason,
            in_flight: inFlight.of(p.id),
            requests: c.requests,
            failures: c.failures,
            timeouts: c.timeouts,
            ejected: p.ejected,
            ejections: p.ejections,
            weight: Math.round(p.weight * 1000) / 1000,
            state: p.membership,
            latency_last_minute_ms: c.window?.percentiles() ?? NO_LATENCY,
          };
        }
        return {
          strategy,
          current_index: currentIndex,
          proxies,
          start_time: startTime,
          ...counters.snapshot(),
          retry_budget: budget,
          latency_ms: { p50: latency.getValueAtPercentile(50), p99: latency.getValueAtPercentile(99), max: latency.maxValue },
          latency_last_minute_ms: window.percentiles(),
        };
      };
      return {
        next: (input) => {
          // The kinds every request brings first: its routing, then its answer.
          if ('routed' in input) {
            const r = input.routed;
            if (r.cursor !== undefined) currentIndex = r.cursor;
            else if (r.proxy !== undefined) currentIndex = r.proxy;
            counters.inc(r.retry ? 'retries' : 'requests');
            if (r.proxy === undefined) counters.inc('no_proxy');
            else {
              inFlight.sent(r.proxy);
              proxyCounters(r.proxy).requests++;
            }
          } else if ('outcome' in input) {
            const o = input.outcome;
            if (o.kind === 'sent') return;
            inFlight.done(o.proxy);
            if (o.kind === 'answered') {
              if (o.latency !== undefined) {
                recordLatency(o.latency, o.status ?? 'UNKNOWN');
                (proxyCounters(o.proxy).window ??= new LatencyWindow()).record(o.latency);
              }
            } else if (blamesProxy(o.failure)) {
              proxyCounters(o.proxy).failures++;
              counters.inc('forward_failures');
            } else {
              proxyCounters(o.proxy).timeouts++;
              counters.inc('forward_timeouts');
            }
          } else if ('error' in input) {
            recordLatency(input.error.latency, input.error.status);
            counters.inc('errors');
          } else if ('view' in input) view = input.view;
          else if ('budget' in input) {
            budget = { used: input.budget.used, allowed: input.budget.allowed };
            if (input.budget.exhausted) counters.inc('retry_budget_exhausted');
          } else if ('metrics' in input) {
            input.metrics.reply(ok(report()));
          } else {
            input.scrape({ report: report(), statuses: Object.fromEntries(statuses), duration: duration.snapshot() });
          }
        },
        finalize: () => {
          turning.unsubscribe();
          latency.destroy();
          window.destroy();
          for (const c of perProxy.values()) c.window?.destroy();
        },
      };
    });
}
