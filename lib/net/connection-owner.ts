// What a peer connection needs from the upstream link that owns it, and the requests they pass between them.
import type { LinkRequest } from '../protocol/upstream-request.js';
import type { Clock } from '../time/clock.js';

/**
 * Why a request over a link got no answer. `refused`: nothing accepted the connection.
 * `connect_timeout`: the connection carrying it was not accepted within the connect timeout, so
 * the peer never saw the request. `timeout`: no answer by the request's deadline (while it
 * waited in the link's queue or on a connection). `reset`: the connection closed under it.
 * `garbage`: the answer was not one. `closed`: the link was closed.
 */
export type LinkFailure = 'refused' | 'connect_timeout' | 'reset' | 'timeout' | 'garbage' | 'closed';

/** The answer line's bytes, without newline or our id: relayed as they are, decoded only by who must read them. */
export type LinkCallback = (failure: LinkFailure | null, answer: Buffer) => void;

/** What a failed request's callback gets as its answer. */
export const NO_ANSWER = Buffer.alloc(0);

/** A request waiting for its answer: queued by the link, then carried by one connection (or two, if resent). */
export interface Job {
  request: LinkRequest;
  callback: LinkCallback;
  /** Clock ms by which it must be answered: the request timeout after it was given to the link. */
  deadline: number;
  /** True once it has been handed back and queued again: a request is resent at most once. */
  resent: boolean;
}

/** The link's settings a connection reads, every default filled in. Times in ms, sizes in bytes. */
export interface ConnectionSettings {
  readonly host: string;
  readonly port: number;
  readonly clock: Clock;
  /**
   * Requests in flight at once on a connection matching answers by id (timed-out ones not
   * counted). Below the peer's own bound on a connection's unanswered requests (1024 on our
   * servers, lib/net/server.ts), past which it stops reading.
   */
  readonly idsDepth: number;
  readonly connectTimeout: number;
  readonly requestTimeout: number;
  /** The longest answer line; a longer one is garbage. */
  readonly maxAnswerBytes: number;
}

/**
 * The few calls a connection makes to the link that owns it. The link hands each connection this
 * object, not itself, so that these calls are not part of the link's API.
 */
export interface ConnectionOwner<C> {
  readonly settings: ConnectionSettings;
  /** True while connections that have proven persistent may try requests with ids. */
  triesIds(): boolean;
  /** An id for a connection's trial request; requests matched by id take theirs from the connection's table. */
  nextId(): number;
  /**
   * True once a connection's trial answer echoed its id, until the peer refuses a connection or
   * drops an id: a fresh connection then carries requests with ids from its first, with no warm-up.
   */
  knowsIds(): boolean;
  /** A connection's trial answer echoed its id: the peer matches answers by id. */
  learnIds(): void;
  /** A connection's answer to a request with an id did not carry it: the peer gets text only from now on. */
  learnNoIds(): void;
  /** The peer closed a connection after answering exactly one request: it answers one request per connection. */
  learnOneShot(): void;
  /** `connection` has room for more requests: an answer came in, or a request on it timed out. */
  hasRoom(connection: C): void;
  /** The connection is gone, owing nothing. */
  gone(connection: C): void;
  /** The connection is gone, and each request it owed an answer fails with `failure`. */
  failed(connection: C, unanswered: Job[], failure: LinkFailure): void;
  /**
   * The connection is gone, and hands back the requests it owed an answer: each is sent again,
   * once (every request is idempotent); one already resent fails with `failure`.
   */
  handedBack(connection: C, unanswered: Job[], failure: LinkFailure): void;
}
