// Messages between the proxy's actors.
import type { Encoded } from '../protocol/response.js';

/** The cache asks the fetcher for one key. */
export interface FetchOrder {
  readonly key: string;
  /** A peer (`host:port`, one this proxy trusts) to fill the key from before trying the origin. */
  readonly peer?: string;
}

/** What the origin said about a key. */
export type FetchOutcome =
  /** `ttl` (ms) when the origin set one for this key; it wins over the proxy's --ttl. */
  | { readonly kind: 'ok'; readonly data: string; readonly ttl?: number }
  /** An answer passed on as it is: NOT_FOUND (cached only under --negative-ttl), or the origin refusing the key. */
  | { readonly kind: 'answer'; readonly answer: Encoded; readonly notFound: boolean }
  | { readonly kind: 'failure'; readonly reason: string };

export interface Fetched {
  readonly key: string;
  readonly outcome: FetchOutcome;
  /** The outcome is the peer's answer: the origin was not asked. */
  readonly fromPeer?: true;
}

/** What the cache tells the metrics actor. */
export const CACHE_EVENTS = ['hit', 'miss', 'coalesced', 'origin_fetch', 'origin_error', 'stale_served', 'negative_hit', 'peer_fill'] as const;
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
