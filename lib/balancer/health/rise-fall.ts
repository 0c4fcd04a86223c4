// The health state machine: HAProxy's rise/fall over probe results and the passive results of traffic.
export interface HealthPolicy {
  /** Consecutive good probes that bring a down proxy back. */
  readonly rise: number;
  /** Consecutive failures (probes or traffic) that take an up proxy down. */
  readonly fall: number;
}

export interface Health {
  readonly healthy: boolean;
  readonly successes: number;
  readonly failures: number;
  readonly reason: string | null;
}

export type HealthEvent =
  | { readonly kind: 'probe_ok' }
  | { readonly kind: 'probe_failed'; readonly reason: string }
  /** A forward failed; `refused` means nothing listens, which needs no second opinion. */
  | { readonly kind: 'traffic_failed'; readonly reason: string; readonly refused: boolean };

export const UP: Health = { healthy: true, successes: 0, failures: 0, reason: null };

/**
 * The health after `event`: `fall` failures in a row (probes and traffic alike) take an up proxy
 * down, `rise` good probes in a row bring a down one back, and refused traffic takes it down at
 * once. HAProxy's `rise` and `fall` (https://docs.haproxy.org/2.8/configuration.html#5.2-rise);
 * counting traffic failures too is HAProxy's `observe` with `on-error fail-check`.
 */
export function nextHealth(health: Health, event: HealthEvent, policy: HealthPolicy): Health {
  switch (event.kind) {
    case 'probe_ok': {
      if (health.healthy) return health.failures === 0 ? health : { ...health, failures: 0 };
      const successes = health.successes + 1;
      return successes >= policy.rise ? UP : { ...health, successes };
    }
    case 'probe_failed':
    case 'traffic_failed': {
      const refused = event.kind === 'traffic_failed' && event.refused;
      if (!health.healthy) return { ...health, successes: 0, reason: event.reason };
      const failures = health.failures + 1;
      return refused || failures >= policy.fall
        ? { healthy: false, successes: 0, failures: 0, reason: event.reason }
        : { ...health, failures };
    }
  }
}
