// Who is to blame for a failed forward: the rule that keeps an origin's trouble off a proxy's health and off other proxies.
import type { LinkFailure } from '../../net/upstream.js';

/**
 * True when a failed forward counts against the proxy for rise/fall and outlier ejection: it
 * refused the connection (`refused`), did not accept it in time (`connect_timeout`), dropped it
 * with the request unanswered (`reset`, `closed`) or answered with something that is not an
 * answer (`garbage`). A request `timeout` does not: the proxy took the request, and a proxy
 * answers a miss within its own origin timeout, so a proxy that is late is most likely waiting on
 * a slow origin, which is no fault of its own. A proxy that truly hangs fails its probes, which
 * run on links of their own under `--health-timeout`, and that is what takes it down.
 */
export function blamesProxy(failure: LinkFailure): boolean {
  return failure !== 'timeout';
}

/**
 * True when the forwarder may send a failed request on to another proxy (HAProxy's `redispatch`).
 * A failure that blames the proxy is retried: the request surely has no working answer path.
 * A request `timeout` is retried only when the proxy is out of service (`proxyOut`: down by its
 * probes, or ejected) by the time it times out: the proxy hangs, so nothing is fetching for the
 * request. A timeout at a proxy still in service is not retried: the proxy is most likely waiting
 * on a slow origin, and a second proxy would only ask the same origin again and double its load.
 * HAProxy's default `retry-on conn-failure` retries connection failures only; its manual warns
 * that retrying on `response-timeout` may amplify the load on servers doing expensive work
 * (https://docs.haproxy.org/2.8/configuration.html#4.2-retry-on). Envoy retries nothing unless
 * a route's `retry_on` asks for it.
 */
export function mayRedispatch(failure: LinkFailure, proxyOut: boolean): boolean {
  return blamesProxy(failure) || proxyOut;
}
