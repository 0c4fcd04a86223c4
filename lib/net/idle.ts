// The idle rule of a server edge and its sweep: a connection that has sent no complete line for
// --idle-timeout ms, with nothing pending, is closed.
import type { Subscription } from 'rxjs';
import { every, type Clock } from '../time/clock.js';

/**
 * Milliseconds a connection may go without a complete line before it is closed. nginx's
 * `client_header_timeout` and `client_body_timeout` default to 60 s; HAProxy's `timeout client`
 * is commonly set to 30-60 s.
 */
export const DEFAULT_IDLE_TIMEOUT = 60_000;

/**
 * How long (ms) a connection has been idle at `now`: 0 while one of its requests is pending,
 * otherwise the time since `since`, its last sign of use (a complete line read, or its last
 * pending request answered). The caller never counts bytes of an unfinished line as a sign of
 * use: a client that sends one byte every few seconds and never ends its line (slowloris) would
 * otherwise hold its connection forever. nginx's `client_header_timeout` and HAProxy's
 * `timeout http-request` bound the time to a complete request in the same way.
 */
export function idleFor(since: number, pending: number, now: number): number {
  return pending > 0 ? 0 : now - since;
}

/** What the sweep needs of a connection. */
export interface Sweepable {
  /** `idleFor` of the connection, in ms. */
  idleFor(now: number): number;
  /** Closes the connection once what it was already sent is written. */
  close(): void;
}

/**
 * Milliseconds between sweeps: a tenth of the timeout, at most 1 s. An idle connection is closed
 * between `timeout` and `timeout` + `sweepInterval(timeout)` ms after its last sign of use.
 */
export function sweepInterval(timeout: number): number {
  return Math.max(1, Math.min(1000, Math.ceil(timeout / 10)));
}

/**
 * One sweep per server on the clock rather than a timer per connection: every
 * `sweepInterval(timeout)` ms, each connection idle for `timeout` ms or more is closed and
 * counted through `onClosed`. Unsubscribe to stop.
 */
export function sweepIdle(clock: Clock, timeout: number, connections: Iterable<Sweepable>, onClosed: () => void): Subscription {
  return every(clock, sweepInterval(timeout), () => {
    const now = clock.now();
    for (const c of connections) {
      if (c.idleFor(now) >= timeout) {
        c.close();
        onClosed();
      }
    }
  });
}
