// Outlier ejection: Envoy's consecutive-failure rule over the passive results of traffic, as a pure state machine.

/**
 * When traffic ejects a proxy and for how long, after Envoy's outlier detection
 * (https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/outlier and
 * https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/cluster/v3/outlier_detection.proto).
 */
export interface EjectionPolicy {
  /** Consecutive failed forwards that eject a proxy (Envoy's consecutive_5xx); 0 = never. */
  readonly consecutive: number;
  /** First ejection lasts this many ms; the n-th lasts n times as long (Envoy's base_ejection_time)... */
  readonly baseTime: number;
  /** ...up to this many ms (Envoy's max_ejection_time). */
  readonly maxTime: number;
}

/** Outlier ejection turned off. */
export const NO_EJECTION: EjectionPolicy = { consecutive: 0, baseTime: 0, maxTime: 0 };

/** One proxy's standing with outlier ejection. */
export interface Ejection {
  /** Consecutive failed forwards since the last answered one, or since the last ejection began or ended. */
  readonly failures: number;
  readonly ejected: boolean;
  /** How many times the proxy has been ejected; it only grows, so a proxy that keeps failing stays out longer. */
  readonly ejections: number;
  /** Clock time in ms at which the current ejection may end; only meaningful while ejected. */
  readonly until: number;
}

/** A proxy ejection has never touched. */
export const NOT_EJECTED: Ejection = { failures: 0, ejected: false, ejections: 0, until: 0 };

export type EjectionEvent =
  | { readonly kind: 'answered' }
  /** A forward failed in a way that blames the proxy (blame.ts); a request that timed out is not one. */
  | { readonly kind: 'failed' }
  /**
   * The periodic sweep (Envoy's `interval`, which returns hosts to service): an ejection ends at
   * the first sweep at or after its `until`, not at the instant it runs out.
   */
  | { readonly kind: 'tick' };

/**
 * The standing after `event` at clock time `now` (ms). An answered forward breaks the failure
 * streak; the `consecutive`-th failure in a row ejects the proxy for `ejectionTime` unless it is
 * already out; a tick once that time is up takes it back with a fresh streak.
 */
export function nextEjection(ejection: Ejection, event: EjectionEvent, policy: EjectionPolicy, now: number): Ejection {
  switch (event.kind) {
    case 'answered':
      return ejection.failures === 0 ? ejection : { ...ejection, failures: 0 };
    case 'failed': {
      const failures = ejection.failures + 1;
      if (policy.consecutive > 0 && failures >= policy.consecutive && !ejection.ejected) {
        const ejections = ejection.ejections + 1;
        return { failures: 0, ejected: true, ejections, until: now + ejectionTime(ejections, policy) };
      }
      return { ...ejection, failures };
    }
    case 'tick':
      // Failures of requests sent before the ejection must not eject it again at once.
      return ejection.ejected && now >= ejection.until ? { ...ejection, failures: 0, ejected: false } : ejection;
  }
}

/**
 * How long in ms the `ejections`-th ejection lasts: `baseTime` times `ejections`, capped at
 * `maxTime` (Envoy: "the real time is equal to the base time multiplied by the number of times
 * the host has been ejected", bounded by max_ejection_time).
 */
export function ejectionTime(ejections: number, policy: EjectionPolicy): number {
  return Math.min(policy.baseTime * ejections, policy.maxTime);
}

/** Why an ejected proxy is out, as the view's `reason` says it. */
export function ejectionReason(policy: EjectionPolicy): string {
  return `ejected after ${policy.consecutive} consecutive failures`;
}
