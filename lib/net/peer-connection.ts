// One connection of an upstream link: answers matched in order or by id, deadlines, and what the peer's behaviour teaches the link.
import { contentEnd, type OnLine } from '../protocol/framing.js';
import { splitId } from '../protocol/response.js';
import { jsonWithId } from '../protocol/upstream-request.js';
import { IdTable } from './id-table.js';
import { LateAnswers } from './late-answers.js';
import { PeerSocket } from './peer-socket.js';
import { NO_ANSWER, type ConnectionOwner, type ConnectionSettings, type Job, type LinkFailure } from './connection-owner.js';

/** `text`: answers match requests in order. `trial`: one request with an id is out, alone, to learn whether the peer echoes ids. `ids`: by the id they echo. */
type Mode = 'text' | 'trial' | 'ids';

/**
 * One TCP connection to the peer. It takes requests from its owner while `canTake()`, and tells
 * the owner when it has room, what it learned of the peer, and when it is gone, with whatever it
 * still owed. `single`: opened for a peer known to answer one request per connection.
 */
export class PeerConnection {
  private readonly settings: ConnectionSettings;
  private readonly socket: PeerSocket;
  private mode: Mode = 'text';
  private trialId = 0;
  // Requests answered in order (text and trial modes), and the socket's writes when the last was sent.
  private readonly inOrder: Job[] = [];
  private sentAtWrites = -1;
  // Requests answered by id: a table of `idsDepth` slots from the trial's success on, none before.
  private byId = new IdTable<Job>(0);
  private readonly late = new LateAnswers();
  private answered = 0;
  private dead = false;
  private retired = false;

  constructor(
    private readonly owner: ConnectionOwner<PeerConnection>,
    readonly single: boolean,
  ) {
    this.settings = owner.settings;
    const { host, port, clock, maxAnswerBytes } = this.settings;
    // A peer that has echoed an id elsewhere is one of ours: fresh connections skip the warm-up, or misses
    // held at a slow origin would pin every warming connection and queue requests behind them, cached ones too.
    if (!single && owner.knowsIds()) this.matchById();
    this.socket = new PeerSocket(host, port, maxAnswerBytes, clock.now(), {
      line: this.onLine,
      tooLong: this.onTooLong,
      refused: () => this.fail('refused'),
      closed: () => this.onPeerClosed(),
    });
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
    return !this.dead && !this.retired && this.inFlight === 0 && !this.late.owesInOrder;
  }

  /** True while it carries no request and only owes the late answer to one that timed out. */
  get owesLateAnswer(): boolean {
    return this.late.owesInOrder && this.inFlight === 0;
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
        return this.inFlight === 0 && !this.late.owesInOrder;
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
    if (this.mode !== 'ids') this.sentAtWrites = this.socket.writes;
    this.socket.send(line);
  }

  /**
   * Fails what has waited too long at `now` (clock ms) and says how many it failed: a connect not
   * accepted within the connect timeout fails all it carries (`connect_timeout`), a request past its
   * deadline fails `timeout`. Matched in order, the connection then owes the late answer (LateAnswers):
   * it takes nothing until that comes, and closes (counted as one) if it has not a timeout later.
   */
  checkDeadlines(now: number): number {
    if (this.dead) return 0;
    if (this.inFlight > 0 && this.socket.connectOverdue(now, this.settings.connectTimeout)) return this.fail('connect_timeout');
    if (this.late.overdue(now)) {
      this.handBack('timeout');
      return 1;
    }
    if (this.mode === 'ids') {
      // Answers are matched by id, so a late one costs only its own request, not the connection.
      const expired: Job[] = [];
      this.byId.sweep(
        (job) => now >= job.deadline,
        (id, job) => {
          if (this.late.owedById(id)) this.retired = true;
          expired.push(job);
        },
      );
      if (expired.length === 0) return 0;
      this.nowHasRoom();
      for (const job of expired) job.callback('timeout', NO_ANSWER);
      return expired.length;
    }
    const oldest = this.inOrder[0];
    if (oldest === undefined || now < oldest.deadline) return 0;
    this.inOrder.shift()!.callback('timeout', NO_ANSWER);
    // Kept for the late answer: closing costs a close here and at the origin and a connect for the next
    // miss, for each of a burst of misses timing out together. One-shot, trial or unconnected: closed.
    if (this.socket.connected && !this.single && this.mode === 'text') this.late.owedInOrder(oldest.deadline + this.settings.requestTimeout);
    else this.handBack('reset');
    return 1;
  }

  /** Closes the socket; every request still owed an answer fails with `failure`. Returns how many did. */
  fail(failure: LinkFailure): number {
    const unanswered = this.shut();
    if (unanswered !== undefined) this.owner.failed(this, unanswered, failure);
    return unanswered?.length ?? 0;
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

  // The peer closed the connection. Having answered exactly one request, it is one-shot (one that answered
  // two is persistent: a close then is a restart or an idle timeout, and its requests are only resent).
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
    this.late.settledInOrder();
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
    if (this.mode === 'ids') return this.onAnswerWithId(object ? splitId(bytes, start, end) : undefined);
    this.onAnswerInOrder(bytes.subarray(start, end), object);
  };

  private onAnswerInOrder(answer: Buffer, object: boolean): void {
    if (this.late.owesInOrder) return this.onLateAnswer(object);
    // A line read before the request was even written is not its answer (a peer answering twice,
    // in one read): the connection cannot be trusted, and the request goes again elsewhere.
    if (this.inOrder.length === 0 || this.socket.writes === this.sentAtWrites) return this.handBack('garbage');
    const job = this.inOrder.shift()!;
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
    this.late.settledInOrder();
    if (!object) return this.handBack('garbage');
    // Not counted as answered: a peer closing after a late answer has not shown it answers one per connection.
    this.nowHasRoom();
  }

  private onAnswerWithId(split: { answer: Buffer; id: number } | undefined): void {
    const job = split === undefined ? undefined : this.byId.take(split.id);
    if (job === undefined) {
      // A late answer to a request that timed out: its place was freed at the deadline.
      if (split !== undefined && this.late.droppedById(split.id)) return;
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
