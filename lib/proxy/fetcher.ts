// The proxy's fetcher actor: turns fetch orders into origin answers through an injected origin port,
// retrying a failed fetch once after a jittered backoff.
import { mergeMap, map, of, timer, type Observable } from 'rxjs';
import type { Clock } from '../time/clock.js';
import type { FetchOrder, Fetched, FetchOutcome } from './messages.js';

/** The origin as the fetcher sees it: a key in, one outcome out. The TCP link implements it. */
export type OriginPort = (key: string) => Observable<FetchOutcome>;

export interface FetcherOptions {
  /** Mean milliseconds before the one retry; the actual wait is 0.5x to 1.5x, so retries spread out. */
  retryBackoff?: number;
  /** Uniform [0, 1); injected so a spec can fix the jitter. */
  random?: () => number;
}

export function fetcher(origin: OriginPort, options: FetcherOptions = {}) {
  const backoff = options.retryBackoff ?? 100;
  const random = options.random ?? Math.random;
  return (orders: Observable<FetchOrder>, clock: Clock): Observable<Fetched> =>
    orders.pipe(
      mergeMap(({ key }) =>
        origin(key).pipe(
          mergeMap((outcome): Observable<FetchOutcome> =>
            outcome.kind === 'failure' ? timer(backoff * (0.5 + random()), clock).pipe(mergeMap(() => origin(key))) : of(outcome),
          ),
          map((outcome) => ({ key, outcome })),
        ),
      ),
    );
}
