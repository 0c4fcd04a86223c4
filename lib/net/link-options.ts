// An upstream link's options and their defaults: the pool's bounds, its timeouts, and what it may send.
import type { Clock } from '../time/clock.js';
import type { PeerProfile } from './peer-profile.js';

/**
 * Connections a link opens to its peer at most, by default: Envoy's circuit-breaker default for
 * `max_connections`. nginx sets no limit (`max_conns=0`); a bound keeps a flood of misses from
 * taking every file descriptor, and is far above what a text peer needs to leave no request
 * waiting behind another.
 */
export const UPSTREAM_MAX_CONNECTIONS = 1024;

/** Idle connections a link keeps open, by default: the nginx docs' example `keepalive 32`. */
export const UPSTREAM_KEEPALIVE = 32;

export interface LinkOptions {
  host: string;
  port: number;
  clock: Clock;
  /**
   * Connections open at once to the peer, one-shot peers included (retiring ones, which take no
   * more requests, do not count). A request no connection has room for opens a new one below
   * this, and waits in the link's queue, first in first out, at it. Default `UPSTREAM_MAX_CONNECTIONS`.
   */
  maxConnections?: number;
  /** Idle connections kept open (nginx's `keepalive N`); past it the least recently used is closed. Default `UPSTREAM_KEEPALIVE`. */
  keepAlive?: number;
  /**
   * Requests in flight on one connection whose answers are matched by id (default 256). Below the
   * peer's bound on a connection's unanswered requests (1024 on our servers, lib/net/server.ts).
   */
  idsDepth?: number;
  /** ms a connection may take to connect while requests wait on it; past it they fail `connect_timeout`. */
  connectTimeout?: number;
  /** ms from `request()` to the answer, the time waiting in the link's queue included; past it, `timeout`. */
  requestTimeout?: number;
  /** Bytes in the longest answer line accepted; a longer one is garbage. */
  maxAnswerBytes?: number;
  /**
   * Send JSON requests with ids, answered in any order, on connections whose peer has shown it
   * echoes them. Off (the default), the peer only ever gets text lines, or JSON without an id for
   * a request that has no text form: what an origin we do not know must be sent.
   */
  ids?: boolean;
  /**
   * What is known of the peer, shared with the other links to it so that what one learns the
   * others use (peer-profile.ts). Default: a profile of this link's own.
   */
  profile?: PeerProfile;
}
