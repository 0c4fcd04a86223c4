// The cluster view: what the balancer currently believes about each proxy.
export interface ProxyState {
  /** Position in the configured proxy list; stable for the balancer's life. */
  readonly id: number;
  /** `host:port`, the key of this proxy in METRICS. */
  readonly address: string;
  readonly healthy: boolean;
  /** Why the proxy is down (or was last marked down), in HAProxy's words where they exist. */
  readonly reason: string | null;
  /** Requests forwarded and not yet answered: the live load least_loaded reads. */
  readonly inFlight: number;
  /** The proxy's own METRICS data from the last successful probe; null before the first. */
  readonly metrics: unknown;
}

export interface ClusterView {
  readonly proxies: readonly ProxyState[];
}

export function initialView(addresses: readonly string[]): ClusterView {
  return {
    proxies: addresses.map((address, id) => ({ id, address, healthy: true, reason: null, inFlight: 0, metrics: null })),
  };
}

/**
 * The proxies a request may go to: healthy ones not yet tried; when none at all is healthy
 * (panic mode, as Envoy calls it) every proxy not yet tried, since a guess beats a certain error.
 */
export function candidates(view: ClusterView, tried: readonly number[]): ProxyState[] {
  const untried = view.proxies.filter((p) => !tried.includes(p.id));
  const anyHealthy = view.proxies.some((p) => p.healthy);
  return anyHealthy ? untried.filter((p) => p.healthy) : untried;
}
