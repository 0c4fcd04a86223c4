// One connection of an upstream link: answers matched in order or by id, deadlines, and what the peer's behaviour teaches the link.
import net from 'node:net';
import { LineFramer, contentEnd, type OnLine } from '../protocol/framing.js';
import { splitId } from '../protocol/response.js';
import { jsonWithId } from '../protocol/upstream-request.js';
import { TurnLines } from './turn-lines.js';
import { IdTable } from './id-table.js';
import { NO_ANSWER, type ConnectionOwner, type ConnectionSettings, type Job, type LinkFailure } from './connection-owner.js';

/** `text`: answers match requests in order. `trial`: one request with an id is out, alone, to learn whether the peer echoes ids. `ids`: by the id they echo. */
type Mode = 'text' | 'trial' | 'ids';

// A connection holding this many requests that timed out and were never answered is retired:
// slow answers come back and free their slot, but a dead peer's never do.
const RETIRE_AFTER_UNANSWERED_TIMEOUTS = 4;
// The id table of a connection that does not match by id: no slots, so it holds nothing.
const NO_IDS = new IdTable<never>(0);

/**
 * One TCP connection to the peer. It takes requests from its owner while `canTake()`, and tells
 * the owner when it has room, what it learned of the peer, and when it is gone, with whatever it
 * still owed. `single`: opened for a peer known to answer one request per connection.
 */
export class PeerConnection {
  private readonly settings: ConnectionSettings;
  private readonly socket: net.Socket;
  private readonly framer: LineFramer;
  private mode: Mode = 'text';
  private trialId = 0;
  // Requests answered in order (text and trial modes).
  private readonly inOrder: Job[] = [];
  // Requests answered by id: a table of `idsDepth` slots from the trial's success on, none before.
  private byId: IdTable<Job> = NO_IDS;
  // Ids of requests failed for timeout whose answers may still come.
  private readonly timedOut = new Set<number>();
  private connected = false;
  // Clock ms by which the answer to a text request that timed out must have come, while one is owed.
  private lateBy: number | undefined;
  private answered = 0;
  private dead = false;
  private retired = false;
  private readonly openedAt: number;
  private readonly lines: TurnLines;

  constructor(
    private readonly owner: ConnectionOwner<PeerConnection>,
    readonly single: boolean,
  ) {
    this.settings = owner.settings;
    const { host, port, clock } = this.settings;
    this.openedAt = clock.now();
    this.framer = new LineFramer(this.settings.maxAnswerBytes);
    // A peer that has echoed an id on another connection is one of ours: persistent, and answering
    // by id. Its fresh connections skip the warm-up, or misses held at a slow origin would pin
    // every warming connection and queue the requests behind them, cached ones too.
    if (!single && owner.knowsIds()) this.matchById();
    this.socket = net.connect({ host, port, noDelay: true });
    this.lines = new TurnLines(this.socket, () => this.dead);
    // Lines written before the connect completes wait in the socket's own buffer.
    this.socket.on('connect', () => (this.connected = true));
    this.socket.on('data', (chunk: Buffer) => this.framer.pushLines(chunk, this.onLine, this.onTooLong));
    this.socket.on('end', () => this.framer.endLines(this.onLine));
    this.socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED' && !this.connected) this.fail('refused');
      else this.onPeerClosed();
    });
    this.socket.on('close', () => this.onPeerClosed());
  }

  /** True once the connection takes no more requests and only waits for the answers it is owed. */
  get retiring(): boolean {
    return this.retired;
  }

  /** Requests waiting for an answer. */
  get inFlight(): number {
    return this.inOrder.length + this.byId.size;
  }

  /** True while open, taking requests, and carrying none: a connection the keepalive cache may hold. */
  get idle(): boolean {
    return !this.dead && !this.retired && this.inFlight === 0 && this.lateBy === undefined;
  }

  /** True while it carries no request and only owes the late answer to one that timed out. */
  get owesLateAnswer(): boolean {
    return this.lateBy !== undefined && this.inFlight === 0;
  }

  /** True while it carries a request or owes the late answer to one that timed out: its deadlines still need checking. */
  get awaiting(): boolean {
    return this.inFlight > 0 || this.lateBy !== undefined;
  }

  /** True once answers on this connection are matched by the ids they echo. */
  get matchesById(): boolean {
    return this.mode === 'ids';
  }

  /**
   * Answers matched in order are never pipelined: a slow answer would hold up every one behind it
   * (head-of-line blocking), so a connection in text mode carries one request at a time. Once it
   * has answered two and the owner tries ids, it sends one trial request with an id, and only once
   * that is answered with its id does it carry up to `idsDepth` at once, matched by id.
   */
  canTake(): boolean {
    if (this.dead || this.retired) return false;
    if (this.single) return this.inFlight === 0 && this.answered === 0;
    switch (this.mode) {
      case 'ids':
        return this.inFlight < this.settings.idsDepth;
      case 'trial':
        return false;
      case 'text':
        return this.inFlight === 0 && this.lateBy === undefined;
    }
  }

  /** Writes the request in the form this connection carries; call only while `canTake()`. */
  send(job: Job): void {
    let line: string;
    if (this.mode === 'ids') {
      // canTake() keeps what is in flight below the table's capacity.
      const id = this.byId.add(job)!;
      line = jsonWithId(job.request, id);
    } else if (!this.single && this.answered >= 2 && this.inOrder.length === 0 && this.owner.triesIds()) {
      this.mode = 'trial';
      this.trialId = this.owner.nextId();
      this.inOrder.push(job);
      line = jsonWithId(job.request, this.trialId);
    } else {
      this.inOrder.push(job);
      line = job.request.text ?? job.request.json;
    }
    this.lines.add(line);
  }

  /**
   * Fails what has waited too long at `now` (clock ms), and says how many requests it failed (a
   * connection closed for a late answer that never came counts as one): a connect not accepted
   * within the connect timeout fails what the connection carries with `connect_timeout`; a request
   * past its deadline fails with `timeout`. Matched by id, its place is free at once. Matched in
   * order, the connection owes the peer's late answer: it takes nothing until that answer comes and
   * is dropped, and closes if it has not come within another request timeout.
   */
  checkDeadlines(now: number): number {
    if (this.dead) return 0;
    if (!this.connected && this.inFlight > 0 && now - this.openedAt >= this.settings.connectTimeout) {
      const owed = this.inFlight;
      this.fail('connect_timeout');
      return owed;
    }
    if (this.lateBy !== undefined && now >= this.lateBy) {
      this.handBack('timeout');
      return 1;
    }
    if (this.mode === 'ids') {
      // Answers are matched by id, so a late one costs only its own request, not the connection.
      const late: Job[] = [];
      this.byId.sweep(
        (job) => now >= job.deadline,
        (id, job) => {
          this.timedOut.add(id);
          late.push(job);
        },
      );
      if (late.length === 0) return 0;
      if (this.timedOut.size >= RETIRE_AFTER_UNANSWERED_TIMEOUTS) this.retired = true;
      this.nowHasRoom();
      for (const job of late) job.callback('timeout', NO_ANSWER);
      return late.length;
    }
    const oldest = this.inOrder[0];
    if (oldest === undefined || now < oldest.deadline) return 0;
    this.inOrder.shift()!.callback('timeout', NO_ANSWER);
    // The peer answers in order, so the next line it sends is this request's answer. Waiting for it
    // and dropping it keeps the connection, as Redis and memcached clients keep theirs past a
    // timed-out command: closing would cost a close here and at the origin, and a connect for the
    // next miss, for each of a burst of misses timing out together. A connection that never carried
    // a request in text mode alone (one-shot, or in its trial) cannot: it closes, as before.
    if (this.connected && !this.single && this.mode === 'text' && this.inOrder.length === 0) {
      this.lateBy = oldest.deadline + this.settings.requestTimeout;
    } else {
      this.handBack('reset');
    }
    return 1;
  }

  /** Closes the socket; every request still owed an answer fails with `failure`. */
  fail(failure: LinkFailure): void {
    const unanswered = this.shut();
    if (unanswered !== undefined) this.owner.failed(this, unanswered, failure);
  }

  /** Closes a connection that owes nothing, without a word to the owner, which let it go (keepalive). */
  close(): void {
    this.shut();
  }

  /** Takes no more requests, and closes once the answers it is owed are in, if it has been sending ids. */
  retireIfUsingIds(): void {
    if (this.mode !== 'text') this.retire();
  }

  /** Takes no more requests, and closes once the answers it is owed are in. */
  retire(): void {
    this.retired = true;
    this.retireIfIdle();
  }

  // Closes the socket and hands every unanswered request back to the owner, to be sent again.
  private handBack(failure: LinkFailure): void {
    const unanswered = this.shut();
    if (unanswered !== undefined) this.owner.handedBack(this, unanswered, failure);
  }

  // The peer closed the connection. If it had answered exactly one request, that teaches the owner
  // it is one-shot (a connection that answered two has shown the peer is persistent: a close then
  // is a restart or an idle timeout, and its requests are only resent).
  private onPeerClosed(): void {
    const unanswered = this.shut();
    if (unanswered === undefined) return;
    // A connection matching by id is to one of ours, which is persistent: a close is a restart.
    if (this.answered === 1 && unanswered.length > 0 && this.mode !== 'ids') this.owner.learnOneShot();
    this.owner.handedBack(this, unanswered, 'reset');
  }

  private matchById(): void {
    this.mode = 'ids';
    this.byId = new IdTable(this.settings.idsDepth);
  }

  // The requests still owed an answer, taken off the connection as it closes; undefined if it already had.
  private shut(): Job[] | undefined {
    if (this.dead) return undefined;
    this.dead = true;
    this.lateBy = undefined;
    this.socket.destroy();
    return [...this.inOrder.splice(0), ...this.byId.clear()];
  }

  private readonly onTooLong = (): void => {
    if (this.dead) return;
    // Whose answer it was is unknown in ids mode; in order, it is the oldest request's.
    if (this.mode !== 'ids') this.inOrder.shift()?.callback('garbage', NO_ANSWER);
    this.handBack('garbage');
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
    if (this.lateBy !== undefined) return this.onLateAnswer(object);
    const job = this.inOrder.shift();
    if (job === undefined) return this.handBack('garbage');
    if (!object) {
      job.callback('garbage', NO_ANSWER);
      this.handBack('reset');
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
      this.matchById();
      this.owner.learnIds();
      answer = split.answer;
    }
    this.answered++;
    if (this.single) {
      this.dead = true;
      this.socket.end();
      this.owner.gone(this);
    } else {
      this.nowHasRoom();
    }
    job.callback(null, answer);
  }

  // The answer to a request that timed out, dropped: its request was already answered `timeout`.
  private onLateAnswer(object: boolean): void {
    this.lateBy = undefined;
    if (!object) return this.handBack('garbage');
    this.answered++;
    this.nowHasRoom();
  }

  private onAnswerWithId(split: { answer: Buffer; id: number } | undefined): void {
    const job = split === undefined ? undefined : this.byId.take(split.id);
    if (job === undefined) {
      // A late answer to a request that timed out: its place was freed at the deadline.
      if (split !== undefined && this.timedOut.delete(split.id)) return;
      // An answer that names no request of ours: from now on no answer on this connection can be
      // matched with confidence, so what is outstanding goes again, as text.
      this.fallBackToText();
      return;
    }
    this.answered++;
    this.nowHasRoom();
    job.callback(null, split!.answer);
  }

  // Before the answer's callback: the oldest request waiting gets the room, not one made in the callback.
  private nowHasRoom(): void {
    this.retireIfIdle();
    if (!this.dead) this.owner.hasRoom(this);
  }

  // The owner learns first, so that the requests this connection hands back are resent as text;
  // leaving ids mode first keeps the owner from retiring this connection before they are handed back.
  private fallBackToText(): void {
    this.mode = 'text';
    this.owner.learnNoIds();
    this.handBack('garbage');
  }

  private retireIfIdle(): void {
    if (!this.retired || this.inFlight > 0 || this.dead) return;
    this.shut();
    this.owner.gone(this);
  }
}
