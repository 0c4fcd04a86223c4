// The proxy's fetcher actor: turns fetch orders into origin answers through an injected origin port,
// retrying a failure whose cause retry-on names once after a jittered backoff, within a retry budget; an order naming a peer tries the peer first.
import { Observable, Subscription, mergeMap, of, timer } from 'rxjs';
import { DEFAULT_RETRY_BUDGET, RetryBudget, type RetryBudgetOptions } from '../net/retry-budget.js';
import type { Clock } from '../time/clock.js';
import type { FailureCause, FetchOrder, Fetched, FetchOutcome, Validator } from './messages.js';
import { DEFAULT_RETRY_ON } from './retry-on.js';

/**
 * The origin as the fetcher sees it: a key in, one outcome out; with the validator kept with a
 * stale entry, the fetch is conditional and may come back `not_modified`. The TCP link
 * (origin-link.ts) implements it, ignoring validators; so does the HTTP origin (http-origin.ts).
 */
export type OriginPort = (key: string, validator?: Validator) => Observable<FetchOutcome>;

/**
 * The other proxies as the fetcher sees them: a peer's `host:port` and a key in, the peer's answer
 * as one outcome out (an OK carries the peer's fresh time left as `ttl`). The TCP links implement it.
 */
export type PeerPort = (peer: string, key: string) => Observable<FetchOutcome>;

export interface FetcherOptions {
  /**
   * The causes of a failure that is retried (messages.ts, `FailureCause`); any other is delivered
   * at once. HAProxy's `retry-on` (whose names these are; its own default is `conn-failure` only)
   * and Envoy's `retry_on` (nothing unless a route asks). Default `DEFAULT_RETRY_ON`; empty: no retry.
   */
  retryOn?: readonly FailureCause[];
  /** Mean milliseconds before the one retry; the actual wait is 0.5x to 1.5x, so retries spread out. */
  retryBackoff?: number;
  /**
   * Origin retries as a share of origin fetches over a sliding window, with a floor: Envoy's
   * retry budget (`budget_percent`, 20 by default) and Finagle's `RetryBudget`, as the balancer
   * bounds its own retries (`DEFAULT_RETRY_BUDGET`: 20%, 10 s, at least 10). A lone failure is
   * retried; a burst of them (2,000 misses refused together by a restarting origin, or timing out
   * together under `retry-on response-timeout`) is not, since retrying every one doubles the
   * connections and the load on an origin that is already failing.
   */
  retryBudget?: RetryBudgetOptions;
  /** Uniform [0, 1); injected so a spec can fix the jitter. */
  random?: () => number;
  /** Where an order naming a peer is filled from; without it, every order goes to the origin. */
  peers?: PeerPort;
}

/**
 * A failed origin fetch whose cause is in `retryOn` is asked once more, after the jittered
 * backoff, if the retry budget allows; a second failure, or one not retried, is delivered as it
 * came. An order naming a peer is filled from that peer (groupcache's peer load): the owner of a
 * hot key answers from its cache, or from its own fetch, so the origin sees the key once. Any
 * failure of the peer (unreachable, slow, ORIGIN_FAILURE), whatever its cause, falls back to the
 * origin, with the origin's retry-on.
 */
export function fetcher(origin: OriginPort, options: FetcherOptions = {}) {
  const backoff = options.retryBackoff ?? 100;
  const random = options.random ?? Math.random;
  const peers = options.peers;
  const retryOn = new Set(options.retryOn ?? DEFAULT_RETRY_ON);
  const retried = (outcome: FetchOutcome): boolean => outcome.kind === 'failure' && retryOn.has(outcome.cause);
  return (orders: Observable<FetchOrder>, clock: Clock): Observable<Fetched> => {
    const budget = new RetryBudget(clock, options.retryBudget ?? DEFAULT_RETRY_BUDGET);
    // One Observable per fetch, its retry inside it, rather than a pipe of operators per fetch:
    // a burst of cold keys runs a thousand of these at once (docs/performance.md, "HTTP origin vs nginx").
    const fromOrigin = (key: string, validator?: Validator): Observable<Fetched> =>
      new Observable<Fetched>((subscriber) => {
        budget.request();
        const deliver = (outcome: FetchOutcome): void => {
          subscriber.next({ key, outcome });
          subscriber.complete();
        };
        const retry = (): void => void subscriber.add(origin(key, validator).subscribe(deliver));
        subscriber.add(
          origin(key, validator).subscribe((outcome) =>
            retried(outcome) && budget.tryRetry() ? subscriber.add(timer(backoff * (0.5 + random()), clock).subscribe(retry)) : deliver(outcome),
          ),
        );
      });
    const fromPeer = (peer: string, key: string): Observable<Fetched> =>
      peers!(peer, key).pipe(mergeMap((outcome): Observable<Fetched> => (outcome.kind === 'failure' ? fromOrigin(key) : of({ key, outcome, fromPeer: true }))));
    return mergeMapSet(orders, ({ key, peer, validator }) => (peer === undefined || peers === undefined ? fromOrigin(key, validator) : fromPeer(peer, key)));
  };
}

/**
 * RxJS's `mergeMap(project)` with its fetches in flight kept in a Set: mergeMap keeps them in an
 * array on the outer subscriber, so each that ends is found and spliced out in O(n), O(n^2) over a
 * burst of n cold keys. Completes once `source` has and every inner one has; an error ends it all.
 */
function mergeMapSet<T, R>(source: Observable<T>, project: (value: T) => Observable<R>): Observable<R> {
  return new Observable<R>((out) => {
    const inFlight = new Set<Subscription>();
    let sourceDone = false;
    const ended = (inner: Subscription): void => {
      inFlight.delete(inner);
      if (sourceDone && inFlight.size === 0) out.complete();
    };
    const outer = source.subscribe({
      next: (value) => {
        const inner = new Subscription();
        inFlight.add(inner);
        inner.add(
          project(value).subscribe({
            next: (result) => out.next(result),
            error: (err: unknown) => out.error(err),
            complete: () => ended(inner),
          }),
        );
      },
      error: (err: unknown) => out.error(err),
      complete: () => {
        sourceDone = true;
        if (inFlight.size === 0) out.complete();
      },
    });
    return () => {
      outer.unsubscribe();
      for (const inner of inFlight) inner.unsubscribe();
      inFlight.clear();
    };
  });
}
