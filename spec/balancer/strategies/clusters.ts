// What the strategy specs share: clusters written as short strings, the load as outcomes, requests
// and the routed stream as marble characters.
import { concatMap, map, pairwise, startWith, toArray, type Observable } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import type { GetMessage, Outcome, RouteRequest, Routed } from '../../../lib/balancer/messages.js';
import { proxyState, type ClusterView, type ProxyState } from '../../../lib/balancer/view.js';
import type { Strategy, StrategyContext } from '../../../lib/balancer/strategies/strategy.js';

/** A cluster as a spec sets it up: the view the strategy reads, and each proxy's requests in flight. */
export interface Cluster {
  readonly view: ClusterView;
  readonly loads: readonly number[];
}

/**
 * A cluster from one entry per proxy: a letter for its state (U up, D down, E ejected, N draining,
 * R removed), its requests in flight, and an optional weight: 'U3', 'U0*0.1'. Proxy i is 127.0.0.1:800(i+1).
 */
export function view(...proxies: string[]): Cluster {
  return viewOf(
    proxies.map((_, id) => `127.0.0.1:${8001 + id}`),
    proxies,
  );
}

/** The same, with the proxies' addresses given. */
export function viewOf(addresses: readonly string[], proxies: readonly string[]): Cluster {
  const parsed = proxies.map((p, id) => {
    const [load, weight] = p.slice(1).split('*');
    const state = p[0];
    const proxy: ProxyState = {
      ...proxyState(id, addresses[id]!),
      healthy: state !== 'D',
      reason: state === 'D' ? 'probe timeout' : null,
      ejected: state === 'E',
      membership: state === 'N' ? 'draining' : state === 'R' ? 'removed' : 'active',
      weight: weight === undefined ? 1 : Number(weight),
    };
    return { proxy, load: Number(load) };
  });
  return { view: { proxies: parsed.map((p) => p.proxy) }, loads: parsed.map((p) => p.load) };
}

/** The outcomes that take each proxy's load from `before` to `after`: a send per request more, an answer per request fewer. */
function loadChanges(before: readonly number[], after: readonly number[]): Outcome[] {
  const changes: Outcome[] = [];
  for (let proxy = 0; proxy < Math.max(before.length, after.length); proxy++) {
    const delta = (after[proxy] ?? 0) - (before[proxy] ?? 0);
    // Keyless answers: they take load away without settling any key.
    for (let n = 0; n < Math.abs(delta); n++) changes.push(delta > 0 ? { kind: 'sent', proxy } : { kind: 'answered', proxy });
  }
  return changes;
}

/**
 * The strategy's inputs for a timeline of clusters: their views, and the outcomes that bring the
 * load the strategy counts to each cluster's loads when it comes. The load is not in the view: the
 * strategy counts it from outcomes alone, so requests it routes add load only where a spec reports
 * them sent; with nothing reported, its count stays at what the timeline says.
 */
export function inputs(clusters: Observable<Cluster>): { views: Observable<ClusterView>; outcomes: Observable<Outcome> } {
  return {
    views: clusters.pipe(map((c) => c.view)),
    outcomes: clusters.pipe(
      map((c) => c.loads),
      startWith<readonly number[]>([]),
      pairwise(),
      concatMap(([before, after]) => loadChanges(before, after)),
    ),
  };
}

/** A GET for `key` that has already been tried on the proxies in `tried`. */
export function requestFor(key: string, tried: number[] = []): RouteRequest {
  const message: GetMessage = { request: { op: 'GET', key }, reply: () => undefined };
  return { message, tried };
}

/** A GET for one key, for strategies that do not look at the key. */
export function request(tried: number[] = []): RouteRequest {
  return requestFor('article/1', tried);
}

/** The routed stream as marble characters: the chosen proxy's id, or x when none was chosen. */
export const chosen = map((r: Routed) => (r.proxy === undefined ? 'x' : String(r.proxy)));

/**
 * Routes `n` fresh requests one after another against a fixed cluster, none overlapping: nothing
 * is reported in flight, as when each is answered before the next comes. How many each proxy got.
 */
export function sequentialCounts(scheduler: TestScheduler, strategy: Strategy, cluster: Cluster, n: number, context: Partial<StrategyContext> = {}): number[] {
  let counts: number[] = [];
  scheduler.run(({ cold, hot }) => {
    const { views, outcomes } = inputs(hot('v', { v: cluster }));
    // One frame after the view, so every request sees it.
    cold('-(r|)', { r: n })
      .pipe(
        concatMap((count) => Array.from({ length: count }, () => request())),
        strategy(views, { clock: scheduler, outcomes, ...context }),
        toArray(),
      )
      .subscribe((routed) => (counts = cluster.view.proxies.map((p) => routed.filter((r) => r.proxy === p.id).length)));
  });
  return counts;
}

/** A fixed linear congruential source of uniform draws in [0, 1): the same draws on every run. */
export function seeded(seed: number): () => number {
  return () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
}
