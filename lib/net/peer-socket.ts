// One upstream TCP connection's I/O: the connect, answer lines read in place, request lines written a turn at a time.
import net from 'node:net';
import { LineFramer, type OnLine } from '../protocol/framing.js';
import { onNextTurn } from '../time/clock.js';

/** What the socket tells the connection that owns it. */
export interface PeerSocketEvents {
  /** An answer line, read in place (the framer's bytes, start and end). */
  readonly line: OnLine;
  /** An answer line longer than the longest allowed. */
  readonly tooLong: () => void;
  /** Nothing accepted the connection (ECONNREFUSED before it connected). */
  readonly refused: () => void;
  /** The connection closed or broke, by the peer's doing or the network's. */
  readonly closed: () => void;
}

/**
 * A TCP connection to `host`:`port` with Nagle off. Request lines sent in one event-loop turn go
 * out in one `socket.write` on the next turn: one syscall for a burst of requests, not one each
 * (with Nagle off, each write would be a packet). Lines sent before the connect completes wait in
 * the socket's own buffer. Answers longer than `maxAnswerBytes` are `tooLong`.
 */
export class PeerSocket {
  private readonly socket: net.Socket;
  private readonly framer: LineFramer;
  private pending = '';
  private flushes = 0;
  private isConnected = false;
  private stopped = false;

  /** `openedAt`: the clock's ms now, from which the connect timeout runs. */
  constructor(host: string, port: number, maxAnswerBytes: number, private readonly openedAt: number, events: PeerSocketEvents) {
    this.framer = new LineFramer(maxAnswerBytes);
    this.socket = net.connect({ host, port, noDelay: true });
    this.socket.on('connect', () => (this.isConnected = true));
    this.socket.on('data', (chunk: Buffer) => this.framer.pushLines(chunk, events.line, events.tooLong));
    this.socket.on('end', () => this.framer.endLines(events.line));
    this.socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNREFUSED' && !this.isConnected ? events.refused() : events.closed()));
    this.socket.on('close', events.closed);
  }

  /** True once the peer accepted the connection. */
  get connected(): boolean {
    return this.isConnected;
  }

  /**
   * Writes made so far. A line sent while this reads n is on the wire once it reads more: an
   * answer line read before then cannot be that line's answer.
   */
  get writes(): number {
    return this.flushes;
  }

  /** True if, at `now` (clock ms), the connect has not been accepted within `connectTimeout` ms. */
  connectOverdue(now: number, connectTimeout: number): boolean {
    return !this.isConnected && now - this.openedAt >= connectTimeout;
  }

  /** Queues `line` (without its newline) for the write at the end of this turn. */
  send(line: string): void {
    if (this.pending === '') onNextTurn(() => this.flush());
    // Appended, not pushed to be joined: the write flattens the string once.
    this.pending += `${line}\n`;
  }

  /** Closes at once: nothing queued is written. */
  destroy(): void {
    this.stopped = true;
    this.socket.destroy();
  }

  /** Closes once what was written is sent: nothing queued after is. */
  end(): void {
    this.stopped = true;
    this.socket.end();
  }

  private flush(): void {
    if (this.stopped || this.pending === '') return;
    this.socket.write(this.pending);
    this.pending = '';
    this.flushes++;
  }
}
