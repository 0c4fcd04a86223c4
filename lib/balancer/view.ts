// The cluster view: what the balancer currently believes about each proxy.

/** `active` takes requests; `draining` finishes what it has and takes nothing new; `removed` is gone. */
export type Membership = 'active' | 'draining' | 'removed';

export interface ProxyState {
  /** Position in the list of proxies ever known; stable for the balancer's life. */
  readonly id: number;
  /** `host:port`, the key of this proxy in METRICS. */
  readonly address: string;
  readonly healthy: boolean;
  /** Why the proxy is down or ejected (or was last), in HAProxy's and Envoy's words. */
  readonly reason: string | null;
  /** The proxy's own METRICS data from the last successful probe; null before the first. */
  readonly metrics: unknown;
  /** 0.1..1 while slow start ramps a returning proxy up (HAProxy's `slowstart`), else 1. */
  readonly weight: number;
  /** Taken out by outlier ejection after consecutive failures of real traffic. */
  readonly ejected: boolean;
  /** How many times outlier ejection has taken this proxy out. */
  readonly ejections: number;
  readonly membership: Membership;
}

export interface ClusterView {
  readonly proxies: readonly ProxyState[];
}

export function proxyState(id: number, address: string): ProxyState {
  return { id, address, healthy: true, reason: null, metrics: null, weight: 1, ejected: false, ejections: 0, membership: 'active' };
}

export function initialView(addresses: readonly string[]): ClusterView {
  return { proxies: addresses.map((address, id) => proxyState(id, address)) };
}

/** May take new requests: active, healthy, not ejected. */
export function available(p: ProxyState): boolean {
  return p.membership === 'active' && p.healthy && !p.ejected;
}

/**
 * The proxies a request may go to: available ones not yet tried; when none at all is available
 * (panic mode, as Envoy calls it) every active proxy not yet tried, since a guess beats a certain error.
 */
export function candidates(view: ClusterView, tried: readonly number[]): ProxyState[] {
  const anyAvailable = view.proxies.some(available);
  return view.proxies.filter(
    (p) => !tried.includes(p.id) && (anyAvailable ? available(p) : p.membership === 'active'),
  );
}
