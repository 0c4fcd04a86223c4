// Slow start: HAProxy's `slowstart`, the weight of a proxy that has just come back ramping up to full.

/**
 * The weight, 0.1..1, at clock time `now` (ms) of a proxy that came back at `since` (ms) under a
 * slow start of `period` ms: linear from 10% at `since` to 100% at `since + period`, 1 from then on.
 * `now` is never earlier than `since`.
 *
 * HAProxy's `slowstart` (https://docs.haproxy.org/2.8/configuration.html#5.2-slowstart): a server
 * that comes back up after a failure gets a weight growing linearly over the period, updated at
 * every health check, so the caller steps it on its probe tick; it never applies at start-up, so
 * a proxy that never went away has `since` = -Infinity and full weight. The ramp starts at 10%
 * rather than near zero so a returning proxy gets traffic to warm up on from the start, as
 * Envoy's slow start keeps a minimum weight (min_weight_percent). `period` 0 turns slow start off.
 *
 * A returning proxy's `since` is the moment it came back: a rise, the end of an ejection, or
 * being added at runtime.
 */
export function slowStartWeight(since: number, period: number, now: number): number {
  const elapsed = now - since;
  return period > 0 && elapsed < period ? 0.1 + (0.9 * elapsed) / period : 1;
}
