// Messages between the proxy's actors.
import type { Encoded } from '../protocol/response.js';

/** The cache asks the fetcher for one key. */
export interface FetchOrder {
  readonly key: string;
}

/** What the origin said about a key. */
export type FetchOutcome =
  | { readonly kind: 'ok'; readonly data: string }
  /** An answer passed on as it is and never stored: NOT_FOUND, or the origin refusing the key. */
  | { readonly kind: 'answer'; readonly answer: Encoded }
  | { readonly kind: 'failure'; readonly reason: string };

export interface Fetched {
  readonly key: string;
  readonly outcome: FetchOutcome;
}

/** What the cache tells the metrics actor. */
export type CacheEvent = 'hit' | 'miss' | 'coalesced' | 'origin_fetch' | 'origin_error';
