// The server edge: socket bytes -> framed requests on the bus; replies -> ordered, batched writes.
import net from 'node:net';
import type { Subscription } from 'rxjs';
import { LineFramer, DEFAULT_MAX_LINE, type OnLine } from '../protocol/framing.js';
import { isRejection, parseRequest, type Request, type RequestId } from '../protocol/request.js';
import { HTTP_REFUSAL, isHttpRequestLine } from '../protocol/http-line.js';
import { errorResponse, type Answer, type Encoded } from '../protocol/response.js';
import { Status } from '../protocol/status.js';
import { after, onNextTurn, type Clock } from '../time/clock.js';
import type { Inbound } from '../bus/inbound.js';
import { Outgoing } from './outgoing.js';
import { Accepted, type AnswerSink, type Slot } from './accepted.js';
import { DEFAULT_IDLE_TIMEOUT, idleFor, sweepIdle } from './idle.js';
import { DEFAULT_MAX_CONNECTIONS, refuseConnection } from './admission.js';
import type { EdgeMetrics } from './edge-metrics.js';

export interface ServerOptions {
  host: string;
  port: number;
  clock: Clock;
  maxLine?: number;
  /** Close a connection that has sent no complete line this long (ms), with nothing pending (idle.ts). */
  idleTimeout?: number;
  /** Refuse a connection, with one TOO_MANY_CONNECTIONS line, while this many are open (admission.ts). */
  maxConnections?: number;
  /** Stop reading from a connection that has this many unanswered requests. */
  maxPending?: number;
  /** After closing our side, read and drop what the peer still sends for at most this long (ms). */
  lingerTimeout?: number;
}

/** The bounds an operator sets on a node's edge (`--idle-timeout`, `--max-connections`). */
export type EdgeBounds = Pick<ServerOptions, 'idleTimeout' | 'maxConnections'>;

/** A TCP server that turns every line into an Inbound message and writes back what the actors reply. */
export class ServerEdge {
  private readonly server: net.Server;
  private readonly connections = new Set<Connection>();
  private sweeper?: Subscription;
  private draining = false;
  private refused = 0;
  private idleClosed = 0;

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
        const idle = this.options.idleTimeout ?? DEFAULT_IDLE_TIMEOUT;
        this.sweeper = sweepIdle(this.options.clock, idle, this.connections, () => this.idleClosed++);
        resolve(this.server.address() as net.AddressInfo);
      });
    });
  }

  get metrics(): EdgeMetrics {
    return { connections: this.connections.size, connections_refused: this.refused, idle_closed: this.idleClosed };
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
    const { clock, maxConnections = DEFAULT_MAX_CONNECTIONS, lingerTimeout = 2000 } = this.options;
    if (this.connections.size >= maxConnections) {
      this.refused++;
      refuseConnection(socket, clock, maxConnections, lingerTimeout);
      return;
    }
    const connection = new Connection(socket, this.options, this.onRequest, () => this.release(connection));
    this.connections.add(connection);
  }

  // Idempotent: a connection may report its close twice (when it ends, then when its socket closes).
  private release(connection: Connection): void {
    this.connections.delete(connection);
    connection.discardInput();
  }
}

class Connection implements AnswerSink {
  // Answers to id-less requests wait here until every earlier id-less request is answered.
  private readonly ordered: Slot[] = [];
  // What the next flush writes.
  private readonly out = new Outgoing();
  private flushScheduled = false;
  private pending = 0;
  private readEnded = false;
  private closing = false;
  private closed = false;
  private firstLine = true;
  // The last sign of use (idle.ts): a complete line read, or the last pending request answered.
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

  idleFor(now: number): number {
    return idleFor(this.lastActive, this.pending, now);
  }

  /** Drops an unfinished line: a closed connection will never finish it, however long its socket lingers. */
  discardInput(): void {
    this.framer.discard();
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
    this.framer.pushLines(chunk, this.onLine, this.onTooLong);
    if (this.pending >= this.maxPending || this.socket.writableNeedDrain) this.socket.pause();
  }

  // Made once per connection, not per read: the framer calls them for every line.
  private readonly onLine: OnLine = (bytes, start, end) => {
    if (this.closing) return;
    // A complete line, not a byte of one, is a sign of use (idle.ts).
    this.lastActive = this.options.clock.now();
    if (this.firstLine) {
      this.firstLine = false;
      if (isHttpRequestLine(bytes, start, end)) {
        this.refuseHttp();
        return;
      }
    }
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

  // Nothing else is read: the rest is the request's headers. The close lingers (maybeEnd), so the
  // headers not yet read do not turn it into a reset that loses the answer.
  private refuseHttp(): void {
    this.closing = true;
    this.socket.write(HTTP_REFUSAL);
    this.maybeEnd();
  }

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
    if (--this.pending === 0) this.lastActive = this.options.clock.now();
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
