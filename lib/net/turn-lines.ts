// Lines for a socket gathered over one turn of the event loop and written at its end, in one write.
import type net from 'node:net';
import { onNextTurn } from '../time/clock.js';

/**
 * Collects the request lines an upstream connection sends in one event-loop turn and writes them
 * in one `socket.write` on the next turn: one syscall for a burst of requests, not one each (Nagle
 * is off on these sockets, so each write would be a packet). Nothing is written once `stopped()`
 * says the connection is gone.
 */
export class TurnLines {
  private pending = '';

  constructor(
    private readonly socket: net.Socket,
    private readonly stopped: () => boolean,
  ) {}

  /** Queues `line` (without its newline) for the write at the end of this turn. */
  add(line: string): void {
    if (this.pending === '') onNextTurn(() => this.flush());
    // Appended, not pushed to be joined: the write flattens the string once.
    this.pending += `${line}\n`;
  }

  private flush(): void {
    if (this.stopped() || this.pending === '') return;
    this.socket.write(this.pending);
    this.pending = '';
  }
}
