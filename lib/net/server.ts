// The server edge: socket bytes -> framed requests on the bus; replies -> ordered, batched writes.
import net from 'node:net';
import type { Subscription } from 'rxjs';
import { LineFramer, DEFAULT_MAX_LINE, type OnLine } from '../protocol/framing.js';
import { isRejection, parseRequest, type Request, type RequestId } from '../protocol/request.js';
import { errorResponse, type Answer, type Encoded } from '../protocol/response.js';
import { Status } from '../protocol/status.js';
import { after, every, onNextTurn, type Clock } from '../time/clock.js';
import type { Inbound } from '../bus/inbound.js';
import { Outgoing } from './outgoing.js';

export interface ServerOptions {
  host: string;
  port: number;
  clock: Clock;
  maxLine?: number;
  /** Close a connection that has been silent, with nothing pending, this long (ms). */
  idleTimeout?: number;
  /** Stop reading from a connection that has this many unanswered requests. */
  maxPending?: number;
  /** After closing our side, read and drop what the peer still sends for at most this long (ms). */
  lingerTimeout?: number;
}

/** A TCP server that turns every line into an Inbound message and writes back what the actors reply. */
export class ServerEdge {
  private readonly server: net.Server;
  private readonly connections = new Set<Connection>();
  private sweeper?: Subscription;
  private draining = false;

  constructor(
    private readonly options: ServerOptions,
    private readonly onRequest: (message: Inbound) => void,
  ) {
    this.server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => this.accept(socket));
    this.server.on('error', () => undefined);
  }

  listen(): Promise<net.AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        const idle = this.options.idleTimeout ?? 120_000;
        const clock = this.options.clock;
        this.sweeper = every(clock, Math.max(1, idle / 2), () => {
          const now = clock.now();
          for (const c of this.connections) if (c.idleSince(now) >= idle) c.close();
        });
        resolve(this.server.address() as net.AddressInfo);
      });
    });
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Stops accepting, answers every request already read, closes each connection once it is answered. */
  drain(): Promise<void> {
    this.draining = true;
    this.sweeper?.unsubscribe();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of this.connections) c.drain();
    return closed;
  }

  private accept(socket: net.Socket): void {
    if (this.draining) {
      socket.destroy();
      return;
    }
    const connection = new Connection(socket, this.options, this.onRequest, () => this.connections.delete(connection));
    this.connections.add(connection);
  }
}

interface Slot {
  answer?: Answer;
}

/**
 * One accepted request as the bus carries it: the request and the way back. One object per
 * request, its `reply` a method, not a closure: the hot path allocates as little as it can.
 */
class Accepted implements Inbound, Slot {
  answer?: Answer;
  private answered = false;

  constructor(
    private readonly connection: Connection,
    readonly request: Request,
  ) {}

  reply(answer: Answer): void {
    if (this.answered) return;
    this.answered = true;
    this.connection.answer(this, answer);
  }
}

class Connection {
  // Answers to id-less requests wait here until every earlier id-less request is answered.
  private readonly ordered: Slot[] = [];
  // What the next flush writes.
  private readonly out = new Outgoing();
  private flushScheduled = false;
  private pending = 0;
  private readEnded = false;
  private closing = false;
  private closed = false;
  private lastActive: number;
  private lingering?: Subscription;
  private readonly framer: LineFramer;
  private readonly maxPending: number;

  constructor(
    private readonly socket: net.Socket,
    private readonly options: ServerOptions,
    private readonly onRequest: (message: Inbound) => void,
    private readonly onClosed: () => void,
  ) {
    this.framer = new LineFramer(options.maxLine ?? DEFAULT_MAX_LINE);
    this.maxPending = options.maxPending ?? 1024;
    this.lastActive = options.clock.now();
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => {
      // Bytes after the last newline, then the peer's half-close (`printf 'GET a' | nc`), are its
      // last request: answered before our side closes, as the upstream link reads a last line.
      if (!this.closed) this.framer.endLines(this.onLine);
      this.readEnded = true;
      if (this.closed) this.destroyOnceWritten();
      else this.maybeEnd();
    });
    socket.on('drain', () => this.maybeResume());
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.closed = true;
      this.lingering?.unsubscribe();
      this.onClosed();
    });
  }

  idleSince(now: number): number {
    return this.pending === 0 ? now - this.lastActive : 0;
  }

  close(): void {
    this.closing = true;
    this.maybeEnd();
  }

  drain(): void {
    this.socket.pause();
    this.close();
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.lastActive = this.options.clock.now();
    this.framer.pushLines(chunk, this.onLine, this.onTooLong);
    if (this.pending >= this.maxPending || this.socket.writableNeedDrain) this.socket.pause();
  }

  // Made once per connection, not per read: the framer calls them for every line.
  private readonly onLine: OnLine = (bytes, start, end) => {
    if (this.closing) return;
    const parsed = parseRequest(bytes, start, end);
    if (isRejection(parsed)) {
      this.answerInOrder(parsed.id, parsed.error);
      return;
    }
    this.dispatch(parsed);
  };

  private readonly onTooLong = (): void => {
    if (this.closing) return;
    this.socket.pause();
    this.closing = true;
    this.answerInOrder(undefined, errorResponse(Status.BAD_REQUEST, 'line too long'));
  };

  private answerInOrder(id: Request['id'], answer: Encoded): void {
    if (id !== undefined) {
      this.write(answer, id);
      return;
    }
    this.ordered.push({ answer });
    this.release();
  }

  private dispatch(request: Request): void {
    this.pending++;
    const accepted = new Accepted(this, request);
    // Answers with ids go out as they come; the others wait their turn.
    if (request.id === undefined) this.ordered.push(accepted);
    this.onRequest(accepted);
  }

  /** The one answer to an accepted request. */
  answer(accepted: Accepted, answer: Answer): void {
    this.pending--;
    const id = accepted.request.id;
    if (id !== undefined) {
      this.write(answer, id);
    } else {
      accepted.answer = answer;
      this.release();
    }
    this.afterAnswer();
  }

  private release(): void {
    while (this.ordered.length > 0 && this.ordered[0]!.answer !== undefined) {
      this.write(this.ordered.shift()!.answer!);
    }
  }

  private write(answer: Answer, id?: RequestId): void {
    if (this.closed) return;
    this.out.add(answer, id);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      onNextTurn(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.closed || this.out.empty) return;
    this.socket.write(this.out.take());
    this.maybeEnd();
  }

  private afterAnswer(): void {
    this.maybeResume();
    this.maybeEnd();
  }

  private maybeResume(): void {
    if (!this.closing && !this.closed && this.pending < this.maxPending / 2 && !this.socket.writableNeedDrain) {
      this.socket.resume();
    }
  }

  private maybeEnd(): void {
    if (this.closed || this.pending > 0 || this.flushScheduled) return;
    if (this.ordered.length > 0) return;
    if (this.closing || this.readEnded) {
      this.closed = true;
      this.socket.end();
      this.onClosed();
      if (this.readEnded) {
        this.destroyOnceWritten();
        return;
      }
      // A lingering close: destroying a socket with unread input sends a reset, which can make the
      // peer lose our last answer (say, "line too long" to a client still writing). So read and drop
      // input until the peer closes its side; a peer that never does is cut off after the linger time.
      this.socket.resume();
      this.lingering = after(this.options.clock, this.options.lingerTimeout ?? 2000, () => this.socket.destroy());
    }
  }

  // A peer that never reads its answers must not hold the socket open forever.
  private destroyOnceWritten(): void {
    if (this.socket.writableFinished) this.socket.destroy();
    else this.socket.once('finish', () => this.socket.destroy());
  }
}
