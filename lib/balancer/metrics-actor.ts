// The balancer's metrics actor: the original METRICS shape from the cluster view, plus its own counters.
import { Observable } from 'rxjs';
import type { Inbound } from '../bus/inbound.js';
import { ok } from '../protocol/response.js';
import { Counters } from '../metrics/counters.js';
import { isoTime, type Clock } from '../time/clock.js';
import type { ClusterView } from './view.js';
import type { Outcome } from './messages.js';

export type BalancerMetricsInput =
  | { metrics: Inbound }
  | { view: ClusterView }
  | { routed: { cursor: number; retry: boolean; chosen: boolean } }
  | { outcome: Outcome };

const NAMES = ['requests', 'retries', 'no_proxy', 'forward_failures'] as const;

export function balancerMetricsActor(strategy: string) {
  return (inbox: Observable<BalancerMetricsInput>, clock: Clock): Observable<never> =>
    new Observable<never>((out) => {
      const startTime = isoTime(clock);
      const counters = new Counters(NAMES);
      const perProxy = new Map<number, { requests: number; failures: number }>();
      let view: ClusterView = { proxies: [] };
      let cursor = 0;
      const proxyCounters = (proxy: number) => {
        let c = perProxy.get(proxy);
        if (c === undefined) perProxy.set(proxy, (c = { requests: 0, failures: 0 }));
        return c;
      };
      return inbox.subscribe({
        next: (input) => {
          if ('view' in input) view = input.view;
          else if ('routed' in input) {
            cursor = input.routed.cursor;
            if (input.routed.retry) counters.inc('retries');
            else counters.inc('requests');
            if (!input.routed.chosen) counters.inc('no_proxy');
          } else if ('outcome' in input) {
            const o = input.outcome;
            if (o.kind === 'sent') proxyCounters(o.proxy).requests++;
            if (o.kind === 'failed') {
              proxyCounters(o.proxy).failures++;
              counters.inc('forward_failures');
            }
          } else {
            const proxies: Record<string, unknown> = {};
            for (const p of view.proxies) {
              const c = proxyCounters(p.id);
              proxies[p.address] = {
                healthy: p.healthy,
                metrics: p.metrics,
                reason: p.reason,
                in_flight: p.inFlight,
                requests: c.requests,
                failures: c.failures,
              };
            }
            input.metrics.reply(
              ok({ strategy, current_index: cursor, proxies, start_time: startTime, ...counters.snapshot() }),
            );
          }
        },
        error: (err) => out.error(err),
        complete: () => out.complete(),
      });
    });
}
