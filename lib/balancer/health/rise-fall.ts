// The health state machine: HAProxy's rise/fall over probe results and the passive results of traffic.
export interface HealthPolicy {
  /** Consecutive good probes that bring a down proxy back. */
  readonly rise: number;
  /**
   * Failures in a row (probes or traffic) that take an up proxy down: a good probe starts the
   * count again, and an answered forward takes the failed forwards out of it.
   */
  readonly fall: number;
}

export interface Health {
  readonly healthy: boolean;
  /** Good probes in a row while down, toward `rise`. */
  readonly successes: number;
  /**
   * Failures toward `fall` while up: failed probes since the last good probe, plus failed
   * forwards since the last good probe or answered forward.
   */
  readonly failures: number;
  /** How many of `failures` are failed forwards: the part an answered forward clears. */
  readonly trafficFailures: number;
  readonly reason: string | null;
}

export type HealthEvent =
  | { readonly kind: 'probe_ok' }
  | { readonly kind: 'probe_failed'; readonly reason: string }
  /**
   * A forward failed in a way that blames the proxy (blame.ts: not a request that merely timed
   * out); `refused` means nothing listens, which needs no second opinion.
   */
  | { readonly kind: 'traffic_failed'; readonly reason: string; readonly refused: boolean }
  /** A forward was answered: the proxy forwards, so the failed forwards before it were not in a row. */
  | { readonly kind: 'traffic_ok' };

export const UP: Health = { healthy: true, successes: 0, failures: 0, trafficFailures: 0, reason: null };

/**
 * The health after `event`: `fall` failures in a row (probes and traffic alike) take an up proxy
 * down, `rise` good probes in a row bring a down one back, and refused traffic takes it down at
 * once. HAProxy's `rise` and `fall` (https://docs.haproxy.org/2.8/configuration.html#5.2-rise);
 * counting traffic failures too is HAProxy's `observe` with `on-error fail-check`
 * (https://docs.haproxy.org/2.8/configuration.html#5.2-observe), whose count is of consecutive
 * errors: a good response resets it. So an answered forward clears the failed forwards from the
 * count, as a good probe clears everything. It leaves failed probes in: an answer shows that
 * forwarding works, not that the proxy answers its probes (HAProxy too keeps the check's health
 * apart from the error count that responses reset).
 *
 * An answered forward never brings a down proxy back, nor counts toward `rise`: a down proxy
 * gets traffic only in panic mode, where one answer says little, and a proxy that answers some
 * requests while failing its probes is the flapping that `rise` is there to sit out. Only good
 * probes bring it back. `traffic_ok` changes nothing the view shows, and returns the same object
 * when there is nothing to clear, so the caller can keep answers off the view.
 */
export function nextHealth(health: Health, event: HealthEvent, policy: HealthPolicy): Health {
  switch (event.kind) {
    case 'probe_ok': {
      if (health.healthy) return health.failures === 0 ? health : UP;
      const successes = health.successes + 1;
      return successes >= policy.rise ? UP : { ...health, successes };
    }
    case 'traffic_ok':
      return health.trafficFailures === 0 ? health : { ...health, failures: health.failures - health.trafficFailures, trafficFailures: 0 };
    case 'probe_failed':
    case 'traffic_failed': {
      const traffic = event.kind === 'traffic_failed';
      if (!health.healthy) return { ...health, successes: 0, reason: event.reason };
      const failures = health.failures + 1;
      return (traffic && event.refused) || failures >= policy.fall
        ? { healthy: false, successes: 0, failures: 0, trafficFailures: 0, reason: event.reason }
        : { ...health, failures, trafficFailures: health.trafficFailures + (traffic ? 1 : 0) };
    }
  }
}
