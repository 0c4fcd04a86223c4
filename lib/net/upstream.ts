// An upstream link: pooled, persistent connections to one peer, following PROTOCOL.md's interop rule.
import type { Subscription } from 'rxjs';
import type { LinkRequest } from '../protocol/upstream-request.js';
import { every, type Clock } from '../time/clock.js';
import { NO_ANSWER, type ConnectionOwner, type ConnectionSettings, type Job, type LinkCallback, type LinkFailure } from './connection-owner.js';
import { PeerConnection } from './peer-connection.js';

export type { LinkCallback, LinkFailure } from './connection-owner.js';

export interface LinkOptions {
  host: string;
  port: number;
  clock: Clock;
  /** Persistent connections kept to the peer. */
  poolSize?: number;
  /** Requests in flight on one connection once it has proven it pipelines, answered in order. */
  pipelineDepth?: number;
  /**
   * Requests in flight on one connection whose answers are matched by id. Deeper than in order:
   * no answer waits behind another, and a fuller connection carries more requests per write.
   */
  idsDepth?: number;
  /** Connections at once to a peer that answers one request per connection. */
  oneShotConnections?: number;
  /** ms a connection may take to connect while requests wait on it. */
  connectTimeout?: number;
  /** ms a request may wait for its answer. */
  requestTimeout?: number;
  /** Bytes in the longest answer line accepted; a longer one is garbage. */
  maxAnswerBytes?: number;
  /**
   * Send JSON requests with ids, answered in any order, on connections whose peer has shown it
   * echoes them. Off (the default), the peer only ever gets text lines, or JSON without an id for
   * a request that has no text form: what an origin we do not know must be sent.
   */
  ids?: boolean;
}

/**
 * Sends requests to one peer. A fresh connection carries one text request at a time until it has
 * answered two; then it pipelines. With `ids`, such a connection first sends one JSON request with
 * an id alone; if the answer echoes the id, the connection carries JSON requests with ids from
 * then on and matches answers by id, so a slow answer holds up no other. Otherwise answers are
 * matched in order (text-form requests are answered in order by every peer).
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
  private readonly settings: ConnectionSettings;
  private readonly ids: boolean;
  private readonly poolSize: number;
  private readonly oneShotConnections: number;
  // What the connections see of the link: their settings and the calls they make back.
  private readonly owner: ConnectionOwner<PeerConnection>;
  private oneShot = false;
  private noIds = false;
  private lastId = 0;
  private sweeper?: Subscription;
  private closed = false;

  constructor(options: LinkOptions) {
    this.ids = options.ids === true;
    this.poolSize = options.poolSize ?? 4;
    this.oneShotConnections = options.oneShotConnections ?? 64;
    this.settings = {
      host: options.host,
      port: options.port,
      clock: options.clock,
      pipelineDepth: options.pipelineDepth ?? 64,
      idsDepth: options.idsDepth ?? 256,
      connectTimeout: options.connectTimeout ?? 1000,
      requestTimeout: options.requestTimeout ?? 2000,
      maxAnswerBytes: options.maxAnswerBytes ?? 64 * 1024 * 1024,
    };
    this.owner = {
      settings: this.settings,
      triesIds: () => this.triesIds,
      nextId: () => ++this.lastId,
      learnNoIds: () => this.learnNoIds(),
      learnOneShot: () => {
        this.oneShot = true;
      },
      hasRoom: () => this.pump(),
      gone: (connection) => {
        this.connections.delete(connection);
        this.pump();
      },
      failed: (connection, unanswered, failure) => this.failed(connection, unanswered, failure),
      handedBack: (connection, unanswered, failure) => this.handedBack(connection, unanswered, failure),
    };
  }

  /** True once the peer has shown it closes after each answer. */
  get answersOnePerConnection(): boolean {
    return this.oneShot;
  }

  /** True while connections that have proven persistent may try requests with ids. */
  get triesIds(): boolean {
    return this.ids && !this.noIds;
  }

  /** Sends one request and calls back once with the answer line (without our id) or the failure. */
  request(request: LinkRequest, callback: LinkCallback): void {
    if (this.closed) {
      callback('closed', NO_ANSWER);
      return;
    }
    this.waiting.push({ request, callback, sentAt: 0, resent: false });
    this.pump();
  }

  /** Fails every request not yet answered with `closed`, and every later one. */
  close(): void {
    this.closed = true;
    this.sweeper?.unsubscribe();
    this.sweeper = undefined;
    for (const job of this.waiting.splice(0)) job.callback('closed', NO_ANSWER);
    for (const c of this.connections) c.fail('closed');
  }

  // From now on the peer gets text only, so connections that send ids take no more requests.
  private learnNoIds(): void {
    this.noIds = true;
    for (const c of this.connections) c.retireIfUsingIds();
  }

  private failed(connection: PeerConnection, unanswered: Job[], failure: LinkFailure): void {
    this.connections.delete(connection);
    // Refused: the peer restarted, maybe as another program, so what the link learned of it is void.
    if (failure === 'refused') {
      this.oneShot = false;
      this.noIds = false;
    }
    for (const job of unanswered) job.callback(failure, NO_ANSWER);
    this.pump();
  }

  private handedBack(connection: PeerConnection, unanswered: Job[], failure: LinkFailure): void {
    this.connections.delete(connection);
    const retry: Job[] = [];
    for (const job of unanswered) {
      if (job.resent || this.closed) {
        job.callback(failure, NO_ANSWER);
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
      connection.send(this.waiting.shift()!);
    }
    this.watchTimeouts();
  }

  private pick(): PeerConnection | undefined {
    let best: PeerConnection | undefined;
    // Retiring connections close once their last answer is in; they do not hold a place in the pool.
    let staying = 0;
    for (const c of this.connections) {
      if (c.retiring) continue;
      staying++;
      // A pooled connection opened before the link learned the peer is one-shot will be closed by
      // the peer once it has answered; a request (above all a resent one) must not go there.
      if (this.oneShot && !c.single) continue;
      if (!c.canTake()) continue;
      // Answers by id hold up nothing, so requests pack onto the first connection with room:
      // more of them leave in each write, and the peer reads more in each read.
      if (c.matchesById) return c;
      if (best === undefined || c.load < best.load) best = c;
      if (c.load === 0) return c;
    }
    const limit = this.oneShot ? this.oneShotConnections : this.poolSize;
    if (staying < limit) {
      const fresh = new PeerConnection(this.owner, this.oneShot);
      this.connections.add(fresh);
      return fresh;
    }
    return best;
  }

  // One sweep per link replaces a timer per request; it runs only while work is outstanding.
  private watchTimeouts(): void {
    if (this.sweeper !== undefined || this.closed) return;
    const { clock, connectTimeout, requestTimeout } = this.settings;
    const tick = Math.max(5, Math.min(connectTimeout, requestTimeout) / 8);
    this.sweeper = every(clock, tick, () => {
      const now = clock.now();
      let busy = this.waiting.length > 0;
      for (const c of this.connections) {
        c.checkDeadlines(now);
        busy ||= c.inFlight > 0;
      }
      if (!busy) {
        this.sweeper?.unsubscribe();
        this.sweeper = undefined;
      }
    });
  }
}
