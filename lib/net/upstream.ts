// An upstream link: pooled, persistent connections to one peer, following PROTOCOL.md's interop rule.
import net from 'node:net';
import type { Subscription } from 'rxjs';
import { LineFramer, contentEnd, type OnLine } from '../protocol/framing.js';
import { IdTable } from './id-table.js';
import { splitId, withId } from '../protocol/response.js';
import { every, onNextTurn, type Clock } from '../time/clock.js';

/** Why a request over a link got no answer. */
export type LinkFailure = 'refused' | 'reset' | 'timeout' | 'garbage' | 'closed';

/** The answer line's bytes, without newline or our id: relayed as they are, decoded only by who must read them. */
export type LinkCallback = (failure: LinkFailure | null, answer: Buffer) => void;

/** What a failed request's callback gets as its answer. */
const NO_ANSWER = Buffer.alloc(0);

/**
 * One request in both its wire forms, each a line without the newline; the link sends whichever
 * form the connection it takes can carry. Forms are strings made from strings: nothing is
 * serialized from an object on the hot path.
 */
export interface LinkRequest {
  /** The text form (`GET article/1`), which every peer reads. Absent for ops that exist only as JSON. */
  readonly text?: string;
  /** The JSON form, an object without an id (`{"op":"GET","key":"article/1"}`); the link adds its own. */
  readonly json: string;
  /** The JSON form with `"id"` as its last field, made in one go; without it the link adds the id to `json`. */
  jsonWithId?(id: number): string;
}

/**
 * `GET <key>`. Each form is made only when a connection asks for it: a connection that carries
 * ids sends only the JSON form with its id, built in one string.
 */
export function getRequest(key: string): LinkRequest {
  return new GetLine(key);
}

class GetLine implements LinkRequest {
  constructor(private readonly key: string) {}

  get text(): string {
    return `GET ${this.key}`;
  }

  get json(): string {
    return plain(this.key) ? `{"op":"GET","key":"${this.key}"}` : `{"op":"GET","key":${JSON.stringify(this.key)}}`;
  }

  jsonWithId(id: number): string {
    return plain(this.key) ? `{"op":"GET","key":"${this.key}","id":${id}}` : `{"op":"GET","key":${JSON.stringify(this.key)},"id":${id}}`;
  }
}

function jsonWithId(request: LinkRequest, id: number): string {
  return request.jsonWithId?.(id) ?? withId(request.json, id);
}

/**
 * True when JSON.stringify would write `text` as it is between quotes: no quote, backslash,
 * control character or surrogate. A loop, not a regular expression: this runs for every request.
 */
function plain(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return false;
  }
  return true;
}

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
  connectTimeout?: number;
  requestTimeout?: number;
  maxAnswerBytes?: number;
  /**
   * Send JSON requests with ids, answered in any order, on connections whose peer has shown it
   * echoes them. Off (the default), the peer only ever gets text lines, or JSON without an id for
   * a request that has no text form: what an origin we do not know must be sent.
   */
  ids?: boolean;
}

interface Job {
  request: LinkRequest;
  callback: LinkCallback;
  sentAt: number;
  resent: boolean;
}

// A connection holding this many requests that timed out and were never answered is retired:
// slow answers come back and free their slot, but a dead peer's never do.
const RETIRE_AFTER_UNANSWERED_TIMEOUTS = 4;

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
  private oneShot = false;
  private noIds = false;
  private lastId = 0;
  private sweeper?: Subscription;
  private closed = false;
  readonly poolSize: number;
  readonly pipelineDepth: number;
  readonly idsDepth: number;
  readonly oneShotConnections: number;
  readonly connectTimeout: number;
  readonly requestTimeout: number;

  constructor(readonly options: LinkOptions) {
    this.poolSize = options.poolSize ?? 4;
    this.pipelineDepth = options.pipelineDepth ?? 64;
    this.idsDepth = options.idsDepth ?? 256;
    this.oneShotConnections = options.oneShotConnections ?? 64;
    this.connectTimeout = options.connectTimeout ?? 1000;
    this.requestTimeout = options.requestTimeout ?? 2000;
  }

  get address(): string {
    return `${this.options.host}:${this.options.port}`;
  }

  /** True once the peer has shown it closes after each answer. */
  get answersOnePerConnection(): boolean {
    return this.oneShot;
  }

  /** True while connections that have proven persistent may try requests with ids. */
  get triesIds(): boolean {
    return this.options.ids === true && !this.noIds;
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

  close(): void {
    this.closed = true;
    this.sweeper?.unsubscribe();
    this.sweeper = undefined;
    for (const job of this.waiting.splice(0)) job.callback('closed', NO_ANSWER);
    for (const c of this.connections) c.destroy('closed', false);
  }

  /** An id for a connection's trial request; requests matched by id take theirs from the connection's table. */
  nextId(): number {
    return ++this.lastId;
  }

  /**
   * Called by a connection whose answer to a request with an id did not carry it. From now on
   * the peer gets text only, so connections that send ids take no more requests.
   */
  learnNoIds(): void {
    this.noIds = true;
    for (const c of this.connections) c.retireIfUsingIds();
  }

  /**
   * Called by a connection that is gone; its unanswered jobs come back here and are resent once
   * when `resend` (each request is idempotent), else failed with `failure`.
   */
  lost(connection: PeerConnection, unanswered: Job[], failure: LinkFailure, resend: boolean, oneShot: boolean): void {
    this.connections.delete(connection);
    if (failure === 'refused') {
      this.oneShot = false;
      this.noIds = false;
    } else if (oneShot) {
      this.oneShot = true;
    }
    const retry: Job[] = [];
    for (const job of unanswered) {
      if (!resend || job.resent || this.closed) {
        job.callback(failure, NO_ANSWER);
      } else {
        job.resent = true;
        retry.push(job);
      }
    }
    this.waiting.unshift(...retry);
    this.pump();
  }

  /** Called by a connection with spare capacity. */
  pump(): void {
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
      const fresh = new PeerConnection(this, this.oneShot);
      this.connections.add(fresh);
      return fresh;
    }
    return best;
  }

  // One sweep per link replaces a timer per request; it runs only while work is outstanding.
  private watchTimeouts(): void {
    if (this.sweeper !== undefined || this.closed) return;
    const clock = this.options.clock;
    const tick = Math.max(5, Math.min(this.connectTimeout, this.requestTimeout) / 8);
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

/**
 * `text`: answers match requests in order. `trial`: one request with an id is out, alone, to learn
 * whether the peer echoes ids. `ids`: answers match requests by the id they echo.
 */
type Mode = 'text' | 'trial' | 'ids';

class PeerConnection {
  private readonly socket: net.Socket;
  private readonly framer: LineFramer;
  private mode: Mode = 'text';
  private trialId = 0;
  // Requests answered in order (text and trial modes).
  private readonly inOrder: Job[] = [];
  // Requests answered by id (ids mode).
  private readonly byId: IdTable<Job>;
  // Ids of requests failed for timeout whose answers may still come.
  private readonly timedOut = new Set<number>();
  private connected = false;
  private answered = 0;
  private dead = false;
  private retired = false;
  private readonly openedAt: number;
  // Lines given to the connection before it connected.
  private unsent: string[] = [];
  // Requests of one event-loop turn leave in one write, not one syscall each.
  private outgoing = '';

  constructor(
    private readonly link: UpstreamLink,
    readonly single: boolean,
  ) {
    const { host, port, clock } = link.options;
    this.openedAt = clock.now();
    this.byId = new IdTable(link.idsDepth);
    this.framer = new LineFramer(link.options.maxAnswerBytes ?? 64 * 1024 * 1024);
    this.socket = net.connect({ host, port, noDelay: true });
    this.socket.on('connect', () => {
      this.connected = true;
      for (const line of this.unsent) this.queue(line);
      this.unsent = [];
    });
    this.socket.on('data', (chunk: Buffer) => this.framer.pushLines(chunk, this.onLine, this.onTooLong));
    this.socket.on('end', () => this.framer.endLines(this.onLine));
    this.socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED' && !this.connected) this.destroy('refused', false);
      else this.destroy('reset', true, true);
    });
    this.socket.on('close', () => this.destroy('reset', true, true));
  }

  /** True once the connection takes no more requests and only waits for the answers it is owed. */
  get retiring(): boolean {
    return this.retired;
  }

  /** Requests waiting for an answer. */
  get inFlight(): number {
    return this.inOrder.length + this.byId.size;
  }

  /** What the peer is working on for this connection, as far as we know. */
  get load(): number {
    return this.inFlight + this.timedOut.size;
  }

  /**
   * A fresh connection takes one request at a time until it has answered two; then it pipelines
   * text, or, when the link tries ids, takes one trial request and pipelines only once it is
   * answered with its id. In flight at once: up to the link's `pipelineDepth` answered in order, its
   * `idsDepth` matched by id.
   */
  canTake(): boolean {
    if (this.dead || this.retired) return false;
    if (this.single) return this.inFlight === 0 && this.answered === 0;
    if (this.answered < 2) return this.inFlight === 0;
    switch (this.mode) {
      case 'ids':
        return this.load < this.link.idsDepth;
      case 'trial':
        return false;
      case 'text':
        return this.link.triesIds ? this.inFlight === 0 : this.inOrder.length < this.link.pipelineDepth;
    }
  }

  send(job: Job): void {
    job.sentAt = this.link.options.clock.now();
    let line: string;
    if (this.mode === 'ids') {
      // canTake() keeps the load, and so what is in flight, below the table's capacity.
      const id = this.byId.add(job)!;
      line = jsonWithId(job.request, id);
    } else if (!this.single && this.answered >= 2 && this.inOrder.length === 0 && this.link.triesIds) {
      this.mode = 'trial';
      this.trialId = this.link.nextId();
      this.inOrder.push(job);
      line = jsonWithId(job.request, this.trialId);
    } else {
      this.inOrder.push(job);
      line = job.request.text ?? job.request.json;
    }
    if (this.connected) this.queue(line);
    else this.unsent.push(line);
  }

  private queue(line: string): void {
    if (this.outgoing === '') onNextTurn(() => this.flush());
    // Appended, not pushed to be joined: the write flattens the string once (1.2x per line in a loop).
    this.outgoing += `${line}\n`;
  }

  private flush(): void {
    if (this.dead || this.outgoing === '') return;
    this.socket.write(this.outgoing);
    this.outgoing = '';
  }

  checkDeadlines(now: number): void {
    if (this.dead) return;
    if (!this.connected && this.inFlight > 0 && now - this.openedAt >= this.link.connectTimeout) {
      this.destroy('timeout', false);
      return;
    }
    const timeout = this.link.requestTimeout;
    if (this.mode === 'ids') {
      // Answers are matched by id, so a late one costs only its own request, not the connection.
      const late: Job[] = [];
      this.byId.sweep(
        (job) => now - job.sentAt >= timeout,
        (id, job) => {
          this.timedOut.add(id);
          late.push(job);
        },
      );
      if (this.timedOut.size >= RETIRE_AFTER_UNANSWERED_TIMEOUTS) this.retired = true;
      for (const job of late) job.callback('timeout', NO_ANSWER);
      this.retireIfIdle();
      return;
    }
    const oldest = this.inOrder[0];
    if (oldest !== undefined && now - oldest.sentAt >= timeout) {
      // Answers are matched in order, so a connection with a lost answer cannot be trusted again.
      this.inOrder.shift()!.callback('timeout', NO_ANSWER);
      this.destroy('reset', true);
    }
  }

  /**
   * Closes the socket and hands every unanswered request back to the link. `byPeer`: the peer
   * closed the connection; if it had answered exactly one request, that teaches the link it is
   * one-shot (a connection that answered two has shown the peer is persistent: a close then is a
   * restart or an idle timeout, and its requests are only resent).
   */
  destroy(failure: LinkFailure, resend: boolean, byPeer = false): void {
    if (this.dead) return;
    this.dead = true;
    this.socket.destroy();
    const unanswered = [...this.inOrder.splice(0), ...this.byId.clear()];
    this.link.lost(this, unanswered, failure, resend, byPeer && this.answered === 1 && unanswered.length > 0);
  }

  private readonly onTooLong = (): void => {
    if (this.dead) return;
    // Whose answer it was is unknown in ids mode; in order, it is the oldest request's.
    if (this.mode !== 'ids') this.inOrder.shift()?.callback('garbage', NO_ANSWER);
    this.destroy('garbage', true);
  };

  // An answer line, read in place: in ids mode the only view made of it is the answer relayed.
  private readonly onLine: OnLine = (bytes, start, lineEnd) => {
    if (this.dead) return;
    const end = contentEnd(bytes, start, lineEnd);
    const object = end - start >= 2 && bytes[start] === 0x7b && bytes[end - 1] === 0x7d;
    if (this.mode === 'ids') {
      this.onAnswerWithId(object ? splitId(bytes, start, end) : undefined);
      return;
    }
    this.onAnswerInOrder(bytes.subarray(start, end), object);
  };

  private onAnswerInOrder(answer: Buffer, object: boolean): void {
    const job = this.inOrder.shift();
    if (job === undefined) {
      this.destroy('garbage', true);
      return;
    }
    if (!object) {
      job.callback('garbage', NO_ANSWER);
      this.destroy('reset', true);
      return;
    }
    if (this.mode === 'trial') {
      const split = splitId(answer);
      if (split === undefined || split.id !== this.trialId) {
        // The peer does not echo ids, and its answer was to a line it may not have understood:
        // the request goes again, as text, and so does every later one to this peer.
        this.inOrder.unshift(job);
        this.fallBackToText();
        return;
      }
      this.mode = 'ids';
      answer = split.answer;
    }
    this.answered++;
    job.callback(null, answer);
    if (this.single) {
      this.dead = true;
      this.socket.end();
      this.link.lost(this, [], 'closed', false, false);
      return;
    }
    this.retireIfIdle();
    this.link.pump();
  }

  private onAnswerWithId(split: { answer: Buffer; id: number } | undefined): void {
    const job = split === undefined ? undefined : this.byId.take(split.id);
    if (job === undefined) {
      if (split !== undefined && this.timedOut.delete(split.id)) {
        this.retireIfIdle();
        this.link.pump();
        return;
      }
      // An answer that names no request of ours: from now on no answer on this connection can be
      // matched with confidence, so what is outstanding goes again, as text.
      this.fallBackToText();
      return;
    }
    this.answered++;
    job.callback(null, split!.answer);
    this.retireIfIdle();
    this.link.pump();
  }

  // The link learns first, so that the requests this connection hands back are resent as text;
  // leaving ids mode first keeps the link from retiring this connection before they are handed back.
  private fallBackToText(): void {
    this.mode = 'text';
    this.link.learnNoIds();
    this.destroy('garbage', true);
  }

  /** True once answers on this connection are matched by the ids they echo. */
  get matchesById(): boolean {
    return this.mode === 'ids';
  }

  retireIfUsingIds(): void {
    if (this.mode === 'text') return;
    this.retired = true;
    this.retireIfIdle();
  }

  private retireIfIdle(): void {
    if (!this.retired || this.inFlight > 0 || this.dead) return;
    this.dead = true;
    this.socket.destroy();
    this.link.lost(this, [], 'closed', false, false);
  }
}
