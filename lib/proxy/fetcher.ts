// The proxy's fetcher actor: turns fetch orders into origin answers through an injected origin port,
// retrying a failed fetch once after a jittered backoff; an order naming a peer tries the peer first.
import { mergeMap, map, of, timer, type Observable } from 'rxjs';
import type { Clock } from '../time/clock.js';
import type { FetchOrder, Fetched, FetchOutcome, Validator } from './messages.js';

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
  /** Mean milliseconds before the one retry; the actual wait is 0.5x to 1.5x, so retries spread out. */
  retryBackoff?: number;
  /** Uniform [0, 1); injected so a spec can fix the jitter. */
  random?: () => number;
  /** Where an order naming a peer is filled from; without it, every order goes to the origin. */
  peers?: PeerPort;
}

/**
 * An order naming a peer is filled from that peer (groupcache's peer load): the owner of a hot key
 * answers from its cache, or from its own fetch, so the origin sees the key once. Any failure of
 * the peer (unreachable, slow, ORIGIN_FAILURE) falls back to the origin, with its one retry.
 */
export function fetcher(origin: OriginPort, options: FetcherOptions = {}) {
  const backoff = options.retryBackoff ?? 100;
  const random = options.random ?? Math.random;
  const peers = options.peers;
  return (orders: Observable<FetchOrder>, clock: Clock): Observable<Fetched> => {
    const fromOrigin = (key: string, validator?: Validator): Observable<Fetched> =>
      origin(key, validator).pipe(
        mergeMap((outcome): Observable<FetchOutcome> =>
          outcome.kind === 'failure' ? timer(backoff * (0.5 + random()), clock).pipe(mergeMap(() => origin(key, validator))) : of(outcome),
        ),
        map((outcome) => ({ key, outcome })),
      );
    return orders.pipe(
      mergeMap(({ key, peer, validator }) =>
        peer === undefined || peers === undefined
          ? fromOrigin(key, validator)
          : peers(peer, key).pipe(
              mergeMap((outcome): Observable<Fetched> => (outcome.kind === 'failure' ? fromOrigin(key) : of({ key, outcome, fromPeer: true }))),
            ),
      ),
    );
  };
}
