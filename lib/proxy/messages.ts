// Messages between the proxy's actors.
import type { Encoded } from '../protocol/response.js';
import type { Validator } from '../cache/store.js';

/** The cache asks the fetcher for one key. */
export interface FetchOrder {
  readonly key: string;
  /** A peer (`host:port`, one this proxy trusts) to fill the key from before trying the origin. */
  readonly peer?: string;
  /** The validator kept with a stale entry: the origin is asked conditionally, and may answer `not_modified`. */
  readonly validator?: Validator;
}

export type { Validator };

/**
 * What an HTTP origin said about serving an answer once it is stale, in ms (RFC 5861's
 * `stale-while-revalidate` and `stale-if-error`). `strict` is set by `no-cache`,
 * `must-revalidate`, `proxy-revalidate` and `s-maxage`, which forbid a shared cache to serve the
 * answer stale on its own say (RFC 9111 4.2.4, 5.2.2): the proxy's --grace and --stale-if-error
 * do not apply to it, the origin's own directives still do.
 */
export interface StaleDirectives {
  readonly whileRevalidate: number;
  readonly ifError: number;
  readonly strict: boolean;
}

/** What the origin said about a key. */
export type FetchOutcome =
  /**
   * `ttl` (ms) when the origin set one for this key; it wins over the proxy's --ttl. An HTTP origin
   * always sets it, and adds its stale directives and, when the answer has an ETag or
   * Last-Modified, a validator.
   */
  | { readonly kind: 'ok'; readonly data: string; readonly ttl?: number; readonly stale?: StaleDirectives; readonly validator?: Validator }
  /** The origin answered a conditional fetch 304: the entry kept is still good, fresh for `ttl` ms more. */
  | { readonly kind: 'not_modified'; readonly ttl: number; readonly stale: StaleDirectives; readonly validator?: Validator }
  /**
   * An answer passed on as it is: NOT_FOUND, or the origin refusing the key. `notFound` marks a
   * NOT_FOUND the proxy may cache under --negative-ttl (not one its origin said not to store).
   */
  | { readonly kind: 'answer'; readonly answer: Encoded; readonly notFound: boolean }
  /** The fetch failed: `reason` for people (logs, the ORIGIN_FAILURE error), `cause` for the fetcher's retry-on. */
  | { readonly kind: 'failure'; readonly reason: string; readonly cause: FailureCause };

/**
 * Why a fetch failed, named as HAProxy's `retry-on` names its failures (HAProxy configuration
 * manual, `retry-on`), so the fetcher retries by cause (fetcher.ts, `retryOn`):
 *
 * - `conn-failure`: no connection: refused, no such host, unreachable, connect timeout, TLS handshake failed;
 * - `empty-response`: the connection closed or was reset before a whole answer (`origin connection lost`);
 * - `junk-response`: an answer that is not one: not JSON, no status, a line or body too long,
 *   a 304 to a GET that was not conditional, a redirect;
 * - `response-timeout`: no answer within --origin-timeout;
 * - `error-status`: the origin answered that it failed: a status other than OK, NOT_FOUND and
 *   BAD_REQUEST on the line protocol, an HTTP status http-answer.ts maps to a failure (other 4xx, 5xx).
 */
export const FAILURE_CAUSES = ['conn-failure', 'empty-response', 'junk-response', 'response-timeout', 'error-status'] as const;
export type FailureCause = (typeof FAILURE_CAUSES)[number];

export interface Fetched {
  readonly key: string;
  readonly outcome: FetchOutcome;
  /** The outcome is the peer's answer: the origin was not asked. */
  readonly fromPeer?: true;
}

/** What the cache tells the metrics actor. */
export const CACHE_EVENTS = [
  'hit',
  'miss',
  'coalesced',
  'origin_fetch',
  'origin_error',
  'stale_served',
  'negative_hit',
  'peer_fill',
  'revalidation',
  'not_modified',
] as const;
export type CacheEvent = (typeof CACHE_EVENTS)[number];

/** The store's size, sent after every change. */
export interface CacheGauges {
  readonly entries: number;
  readonly bytes: number;
  readonly evictions: number;
}

/**
 * Misses answered together, when the fetch they waited on came back (or a peer's GET was refused):
 * their status and how long each waited, in ms of the clock. Hits are not sent one by one: a hit
 * is answered in the callback that read it, so on the clock it takes 0 ms, and its `hit` event says so.
 */
export interface Answered {
  readonly status: string;
  readonly waits: readonly number[];
}
