// The tier at a glance, from two readings of the balancer's METRICS: what --watch and the stats page show.

/** One reading: the balancer's METRICS `data` and when it was taken, in ms. */
export interface Reading {
  readonly at: number;
  readonly metrics: Readonly<Record<string, unknown>>;
}

/** `up`, `down` (health checks), `ejected` (outlier detection), `draining`, or `slow start` (ramping up after coming back). */
export type ProxyStateName = 'up' | 'down' | 'ejected' | 'draining' | 'slow start';

export interface ProxyRow {
  readonly address: string;
  readonly state: ProxyStateName;
  /** Why it was last down or ejected (METRICS `reason`); null if never. */
  readonly reason: string | null;
  /** Forwards per second between the two readings; null from a single reading. */
  readonly rps: number | null;
  /** The proxy's own hit ratio, 0..1, as of its last probe; null before the first. */
  readonly hitRatio: number | null;
  readonly inFlight: number;
  /** p99 of its answers over the last minute, ms; null when it answered none. */
  readonly p99: number | null;
}

export interface TierView {
  readonly strategy: string;
  readonly requests: number;
  /** Client requests per second between the two readings; null from a single reading. */
  readonly rps: number | null;
  readonly errors: number;
  readonly retries: number;
  readonly budget: { readonly used: number; readonly allowed: number };
  /** Over the last minute, ms. */
  readonly latency: { readonly p50: number; readonly p90: number; readonly p99: number };
  readonly proxies: readonly ProxyRow[];
}

/**
 * Rows from the latest reading and the one before it (rates need two). Self-contained, referring
 * to nothing outside its own body, so the stats page embeds its source and shows exactly what
 * --watch shows (lib/balancer/stats-page.ts). Fields missing from an older balancer read as 0.
 */
export function tierView(previous: Reading | undefined, latest: Reading): TierView {
  type Obj = Record<string, unknown>;
  const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null ? (v as Obj) : {});
  const seconds = previous === undefined ? 0 : (latest.at - previous.at) / 1000;
  const rate = (now: number, before: number | undefined): number | null =>
    before === undefined || seconds <= 0 ? null : Math.max(0, now - before) / seconds;
  const m = latest.metrics;
  const before = previous === undefined ? undefined : previous.metrics;
  const beforeProxies = obj(before === undefined ? undefined : before.proxies);
  const window = obj(m.latency_last_minute_ms);
  const proxies: ProxyRow[] = Object.entries(obj(m.proxies)).map(([address, value]) => {
    const p = obj(value);
    const own = p.metrics === null || p.metrics === undefined ? undefined : obj(p.metrics);
    const p99 = num(obj(p.latency_last_minute_ms).p99);
    const earlier = beforeProxies[address];
    const state: ProxyStateName =
      p.state === 'draining' ? 'draining' : p.healthy === false ? 'down' : p.ejected === true ? 'ejected' : num(p.weight) < 1 && p.weight !== undefined ? 'slow start' : 'up';
    return {
      address,
      state,
      reason: typeof p.reason === 'string' ? p.reason : null,
      rps: rate(num(p.requests), earlier === undefined ? undefined : num(obj(earlier).requests)),
      hitRatio: own === undefined ? null : num(own.hit_rate),
      inFlight: num(p.in_flight),
      p99: p99 > 0 || num(p.requests) > 0 ? p99 : null,
    };
  });
  return {
    strategy: typeof m.strategy === 'string' ? m.strategy : '',
    requests: num(m.requests),
    rps: rate(num(m.requests), before === undefined ? undefined : num(before.requests)),
    errors: num(m.errors),
    retries: num(m.retries),
    budget: { used: num(obj(m.retry_budget).used), allowed: num(obj(m.retry_budget).allowed) },
    latency: { p50: num(window.p50), p90: num(window.p90), p99: num(window.p99) },
    proxies,
  };
}
