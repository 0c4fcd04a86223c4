// An upstream link: pooled, persistent connections to one peer, following PROTOCOL.md's interop rule.
import type { LinkRequest } from '../protocol/upstream-request.js';
import { NO_ANSWER, type ConnectionOwner, type ConnectionSettings, type Job, type LinkCallback, type LinkFailure } from './connection-owner.js';
import { DeadlineSweeper, sweepTick } from './deadline-sweep.js';
import { KeepaliveCache } from './keepalive.js';
import { PeerConnection } from './peer-connection.js';
import { PeerProfile } from './peer-profile.js';
import { UPSTREAM_KEEPALIVE, UPSTREAM_MAX_CONNECTIONS, type LinkOptions } from './link-options.js';

export type { LinkCallback, LinkFailure } from './connection-owner.js';
export { UPSTREAM_KEEPALIVE, UPSTREAM_MAX_CONNECTIONS, type LinkOptions } from './link-options.js';

/**
 * Sends requests to one peer over a pool of connections. A connection whose answers are matched
 * in order carries one request at a time, always: pipelined, a slow answer would hold up every
 * answer behind it. A request no connection has room for opens another connection, up to
 * `maxConnections`, then waits in the link's queue. With `ids`, a connection that has answered
 * two requests sends one JSON request with an id alone; if the answer echoes the id, the
 * connection carries up to `idsDepth` JSON requests with ids from then on and matches answers by
 * id, so a slow answer holds up no other, and requests pack onto the first such connection with
 * room. Once the peer has echoed an id (on this link or another sharing its `PeerProfile`), fresh
 * connections carry ids from their first request, and connections still warming up retire when
 * the pool is at its cap. Idle connections past `keepAlive` are closed, least recently used first,
 * a batch every KEEPALIVE_PURGE_TICK_MS.
 *
 * A request's deadline runs from `request()`: one still waiting in the queue fails `timeout` at
 * it too, and one that fails frees its place at once. A connection matching by id takes the next
 * request at once; one matching in order takes it once the late answer has come and been dropped
 * (or closes if it has not within another request timeout), and meanwhile the next request goes
 * to another connection.
 *
 * When a connection that has answered exactly one request closes with requests unanswered, they
 * are resent once on a fresh connection and the peer is treated as answering one request per
 * connection (the original Python nodes). A peer whose answer to a request with an id lacks it
 * gets only text from then on. A refused connection (the peer restarted, maybe as another
 * program) forgets both.
 */
export class UpstreamLink {
  private readonly waiting: Job[] = [];
  private readonly connections = new Set<PeerConnection>();
  private readonly idle: KeepaliveCache<PeerConnection>;
  private readonly settings: ConnectionSettings;
  private readonly ids: boolean;
  private readonly maxConnections: number;
  // What the connections see of the link: their settings and the calls they make back.
  private readonly owner: ConnectionOwner<PeerConnection>;
  private readonly profile: PeerProfile;
  private readonly sweeper: DeadlineSweeper;
  private lastId = 0;
  private closed = false;

  constructor(options: LinkOptions) {
    this.ids = options.ids === true;
    this.profile = options.profile ?? new PeerProfile();
    this.maxConnections = options.maxConnections ?? UPSTREAM_MAX_CONNECTIONS;
    this.idle = new KeepaliveCache(options.keepAlive ?? UPSTREAM_KEEPALIVE, options.clock, (c) => {
      this.connections.delete(c);
      c.close();
    });
    this.settings = {
      host: options.host,
      port: options.port,
      clock: options.clock,
      idsDepth: options.idsDepth ?? 256,
      connectTimeout: options.connectTimeout ?? 1000,
      requestTimeout: options.requestTimeout ?? 2000,
      maxAnswerBytes: options.maxAnswerBytes ?? 64 * 1024 * 1024,
    };
    this.sweeper = new DeadlineSweeper(options.clock, sweepTick(this.settings.connectTimeout, this.settings.requestTimeout), {
      connections: () => this.connections,
      expireQueued: (now) => this.expireQueued(now),
    });
    this.owner = {
      settings: this.settings,
      triesIds: () => this.triesIds,
      nextId: () => ++this.lastId,
      knowsIds: () => this.knowsIds,
      learnIds: () => {
        this.profile.echoesIds = true;
      },
      learnNoIds: () => this.learnNoIds(),
      learnOneShot: () => {
        this.profile.oneShot = true;
      },
      hasRoom: (connection) => this.hasRoom(connection),
      gone: (connection) => {
        this.forget(connection);
        this.pump();
      },
      failed: (connection, unanswered, failure) => this.failed(connection, unanswered, failure),
      handedBack: (connection, unanswered, failure) => this.handedBack(connection, unanswered, failure),
    };
  }

  /** Connections open to the peer, retiring ones included. */
  get openConnections(): number {
    return this.connections.size;
  }

  /** Connections idle in the keepalive cache, those past the bound awaiting the purge included. */
  get idleConnections(): number {
    return this.idle.length;
  }

  /** Requests waiting in the link's queue for a connection with room. */
  get queued(): number {
    return this.waiting.length;
  }

  /** True once the peer has shown it closes after each answer. */
  get answersOnePerConnection(): boolean {
    return this.profile.oneShot;
  }

  /** True while connections that have proven persistent may try requests with ids. */
  get triesIds(): boolean {
    return this.ids && !this.profile.noIds;
  }

  /** True once the peer has echoed an id (here or on another link sharing the profile) and ids are tried. */
  private get knowsIds(): boolean {
    return this.profile.echoesIds && this.triesIds;
  }

  /**
   * Sends one request and calls back once with the answer line (without our id) or the failure
   * (`LinkFailure`); the deadline, `requestTimeout` ms, runs from now.
   */
  request(request: LinkRequest, callback: LinkCallback): void {
    if (this.closed) {
      callback('closed', NO_ANSWER);
      return;
    }
    this.waiting.push({ request, callback, deadline: this.settings.clock.now() + this.settings.requestTimeout, resent: false });
    this.pump();
  }

  /** Fails every request not yet answered with `closed`, and every later one. */
  close(): void {
    this.closed = true;
    this.sweeper.stop();
    this.idle.stop();
    for (const job of this.waiting.splice(0)) job.callback('closed', NO_ANSWER);
    for (const c of this.connections) c.fail('closed');
  }

  // From now on the peer gets text only, so connections that send ids take no more requests.
  private learnNoIds(): void {
    this.profile.learnNoIds();
    for (const c of this.connections) c.retireIfUsingIds();
  }

  // An idle connection rests in the keepalive cache before the queue has its pick, so that, the
  // most recently used, it is the one the oldest waiting request gets; what stays idle after is
  // brought down to the keepalive bound by the purge.
  private hasRoom(connection: PeerConnection): void {
    // A warming connection to a peer known to echo ids would carry its next request as text, with
    // no id (and no peer fill hint): it closes, and a fresh connection carries ids at once.
    if (this.warming(connection)) connection.retire();
    else if (connection.idle) this.idle.rest(connection);
    this.pump();
  }

  private forget(connection: PeerConnection): void {
    this.connections.delete(connection);
    this.idle.remove(connection);
  }

  private failed(connection: PeerConnection, unanswered: Job[], failure: LinkFailure): void {
    this.forget(connection);
    // Refused: the peer restarted, maybe as another program, so what the link learned of it is void.
    if (failure === 'refused') this.profile.forget();
    for (const job of unanswered) job.callback(failure, NO_ANSWER);
    this.pump();
  }

  private handedBack(connection: PeerConnection, unanswered: Job[], failure: LinkFailure): void {
    this.forget(connection);
    const retry: Job[] = [];
    const now = this.settings.clock.now();
    for (const job of unanswered) {
      if (job.resent || this.closed) {
        job.callback(failure, NO_ANSWER);
      } else if (now >= job.deadline) {
        job.callback('timeout', NO_ANSWER);
      } else {
        job.resent = true;
        retry.push(job);
      }
    }
    this.waiting.unshift(...retry);
    this.pump();
  }

  private pump(): void {
    while (this.waiting.length > 0 && !this.closed) {
      const connection = this.pick();
      if (connection === undefined) break;
      this.idle.remove(connection);
      connection.send(this.waiting.shift()!);
    }
    if (!this.closed) this.sweeper.watch();
  }

  // In this order: the first connection matching by id with room (packed, more requests leave in
  // each write and the peer reads more in each read); the most recently used idle connection; a
  // new connection, below the cap; else none, and the request waits.
  private pick(): PeerConnection | undefined {
    if (this.ids) {
      for (const c of this.connections) if (c.matchesById && c.canTake()) return c;
    }
    // A pooled connection opened before the link learned the peer is one-shot will be closed by
    // the peer once it has answered; a request (above all a resent one) must not go there.
    const oneShot = this.profile.oneShot;
    const rested = this.idle.take((c) => (!oneShot || c.single) && c.canTake() && !this.warming(c));
    if (rested !== undefined) return rested;
    if (this.staying() >= this.maxConnections && !this.retireWarming() && !this.dropOwing()) return undefined;
    const fresh = new PeerConnection(this.owner, oneShot);
    this.connections.add(fresh);
    return fresh;
  }

  // Once the peer is known to echo ids, connections still warming up in text retire, making room
  // at the cap: fresh connections carry ids from their first request, and one warming behind a slow
  // miss would otherwise hold its place in the pool until that answer. An idle one (it rested before
  // another link sharing the profile learned the peer echoes ids) closes at once: `pick` never takes
  // it, so it would hold its place for good. True if one retired.
  private retireWarming(): boolean {
    if (!this.knowsIds) return false;
    let retired = false;
    for (const c of [...this.connections]) {
      if (c.retiring || !this.warming(c)) continue;
      if (c.idle) {
        this.forget(c);
        c.close();
      } else {
        c.retire();
      }
      retired = true;
    }
    return retired && this.staying() < this.maxConnections;
  }

  // At the cap, a connection that only waits for the late answer to a request that timed out gives
  // its place to a request waiting now: it closes, as it would have at the timeout. True if one did.
  private dropOwing(): boolean {
    for (const c of this.connections) {
      if (!c.owesLateAnswer) continue;
      this.forget(c);
      c.close();
      return true;
    }
    return false;
  }

  // A connection still in its text warm-up to a peer already known to echo ids (or trying it):
  // one that a fresh connection, carrying ids from its first request, does better than.
  private warming(c: PeerConnection): boolean {
    return this.knowsIds && !c.matchesById && !c.single;
  }

  // Retiring connections close once their last answer is in; they do not hold a place in the pool.
  private staying(): number {
    if (this.connections.size < this.maxConnections) return this.connections.size;
    let staying = 0;
    for (const c of this.connections) if (!c.retiring) staying++;
    return staying;
  }

  // Requests still in the queue at their deadline fail there: a full pool costs a timeout, not more.
  // What still waits may have room now that another link sharing the profile has learned the peer echoes ids.
  private expireQueued(now: number): boolean {
    const late: Job[] = [];
    let kept = 0;
    for (const job of this.waiting) {
      if (now >= job.deadline) late.push(job);
      else this.waiting[kept++] = job;
    }
    this.waiting.length = kept;
    for (const job of late) job.callback('timeout', NO_ANSWER);
    if (this.waiting.length > 0) this.pump();
    return this.waiting.length > 0;
  }
}
