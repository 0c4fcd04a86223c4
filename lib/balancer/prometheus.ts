// The balancer's Prometheus series, read from its METRICS report: the tier's totals and one series per proxy.
import { commonSeries, type Labels, type Series } from '../metrics/prometheus.js';
import type { BalancerProxyReport, BalancerReport } from './metrics-actor.js';

const counter = (name: string, help: string, read: (r: BalancerReport) => number): Series<BalancerReport> => ({ name, help, type: 'counter', read: (s) => read(s.report) });
const gauge = (name: string, help: string, read: (r: BalancerReport) => number): Series<BalancerReport> => ({ name, help, type: 'gauge', read: (s) => read(s.report) });

/** A series with one value per proxy, labelled `proxy` with its address (as METRICS keys it). */
function perProxy(name: string, help: string, type: 'counter' | 'gauge', read: (p: BalancerProxyReport) => number): Series<BalancerReport> {
  return {
    name,
    help,
    type,
    labelNames: ['proxy'],
    read: (s) => Object.entries(s.report.proxies).map(([proxy, p]): readonly [Labels, number] => [{ proxy }, read(p)]),
  };
}

/** Every node's series, the balancer's counters, and per proxy its health, load and failures. */
export const BALANCER_SERIES: readonly Series<BalancerReport>[] = [
  ...commonSeries<BalancerReport>(),
  counter('dproxy_retries_total', 'forwards re-routed to another proxy after a failure (redispatch)', (r) => r.retries),
  counter('dproxy_retry_budget_exhausted_total', 'retries refused by the retry budget', (r) => r.retry_budget_exhausted),
  gauge('dproxy_retry_budget_used', 'retries over the last 10 s, as of the last retry', (r) => r.retry_budget.used),
  gauge('dproxy_retry_budget_allowed', 'retries the budget allowed over the last 10 s, as of the last retry', (r) => r.retry_budget.allowed),
  counter('dproxy_no_proxy_total', 'requests that found no proxy to try', (r) => r.no_proxy),
  perProxy('dproxy_upstream_healthy', '1 while the proxy passes its health checks', 'gauge', (p) => Number(p.healthy)),
  perProxy('dproxy_upstream_ejected', '1 while outlier detection keeps the proxy out', 'gauge', (p) => Number(p.ejected)),
  perProxy('dproxy_upstream_draining', '1 while the proxy is draining', 'gauge', (p) => Number(p.state === 'draining')),
  perProxy('dproxy_upstream_weight', 'the proxy\'s weight, 0.1 to 1 during slow start', 'gauge', (p) => p.weight),
  perProxy('dproxy_upstream_in_flight', 'requests sent to the proxy and not answered yet', 'gauge', (p) => p.in_flight),
  perProxy('dproxy_upstream_requests_total', 'forwards sent to the proxy', 'counter', (p) => p.requests),
  perProxy('dproxy_upstream_failures_total', 'forwards that failed in a way that counts against the proxy', 'counter', (p) => p.failures),
  perProxy('dproxy_upstream_timeouts_total', 'forwards the proxy did not answer within --request-timeout', 'counter', (p) => p.timeouts),
  perProxy('dproxy_ejections_total', 'times outlier detection ejected the proxy', 'counter', (p) => p.ejections),
];
