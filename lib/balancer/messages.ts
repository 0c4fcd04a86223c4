// Messages between the balancer's actors.
import type { Inbound } from '../bus/inbound.js';
import type { Request } from '../protocol/request.js';
import type { LinkFailure } from '../net/upstream.js';

export type GetMessage = Inbound<Extract<Request, { op: 'GET' }>>;

/** A request on its way to a proxy; `tried` grows with each failed forward. */
export interface RouteRequest {
  readonly message: GetMessage;
  readonly tried: readonly number[];
}

/** A routing decision: the proxy chosen, or none left to choose. */
export interface Routed extends RouteRequest {
  readonly proxy: number | undefined;
  /**
   * Where a strategy that takes the proxies in turn stands after this choice (round robin's
   * `current_index`); absent from the routings of a strategy without a turn.
   */
  readonly cursor?: number;
  /**
   * The proxy a hot key was spilled off (its owner, consistent_hash), which the chosen proxy is told
   * of so it can fill the key from there; absent when the request went where its key belongs.
   */
  readonly fill?: number;
}

/** What happened to traffic sent to a proxy: the passive half of health checking, and the live load. */
export type Outcome =
  | { readonly kind: 'sent'; readonly proxy: number }
  /**
   * `latency`: ms on the clock from the request's first routing to this answer, what its client
   * waited; `status`: the answer's (lib/protocol/status-of.ts).
   */
  | { readonly kind: 'answered'; readonly proxy: number; readonly key?: string; readonly latency?: number; readonly status?: string }
  | { readonly kind: 'failed'; readonly proxy: number; readonly failure: LinkFailure; readonly key?: string };

/** Runtime membership, from the admin ops; the node has already opened links for an added proxy. */
export type MembershipChange =
  | { readonly kind: 'add'; readonly proxy: number; readonly address: string }
  | { readonly kind: 'drain'; readonly proxy: number }
  | { readonly kind: 'remove'; readonly proxy: number };

/** The result of one active health probe. */
export type ProbeResult =
  | { readonly proxy: number; readonly ok: true; readonly metrics: unknown }
  | { readonly proxy: number; readonly ok: false; readonly reason: string };
