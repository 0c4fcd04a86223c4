// The deadline sweep of an upstream link: how often it runs, and how much of a burst of expiries one turn takes.
import type { PeerConnection } from './peer-connection.js';

/** ms between deadline sweeps: at least this, so a short timeout does not spin the loop... */
const SWEEP_MIN_TICK = 5;
/** ...and at most this, so a long one is not noticed late. */
const SWEEP_MAX_TICK = 50;

/**
 * Requests a sweep fails on a link's connections in one turn; past it, the sweep goes on in the
 * next turn, after the I/O already pending. Misses that time out together are each answered (and
 * a connection whose late answer never came is closed); all in one turn, they would hold every
 * other socket of the process, cached GETs included, until that turn ends.
 */
export const SWEEP_EXPIRIES_PER_TURN = 32;

/**
 * ms between a link's sweeps for its timeouts (ms): a fortieth of the shorter, within 5..50. A
 * deadline is noticed up to one tick late, and a miss that times out twice (its retry) pays it
 * twice, so the tick stays a small part of the timeout.
 */
export function sweepTick(connectTimeout: number, requestTimeout: number): number {
  return Math.min(SWEEP_MAX_TICK, Math.max(SWEEP_MIN_TICK, Math.min(connectTimeout, requestTimeout) / 40));
}

/**
 * Checks the deadlines of `connections` at `now` (clock ms), oldest connections first, until
 * `limit` requests have failed (a connection closed for a late answer that never came counts as
 * one). `busy`: a connection checked still carries a request or owes a late answer; `rest`: the
 * limit was reached before every connection was checked.
 */
export function sweepDeadlines(connections: Iterable<PeerConnection>, now: number, limit = SWEEP_EXPIRIES_PER_TURN): { busy: boolean; rest: boolean } {
  let busy = false;
  let expired = 0;
  for (const c of connections) {
    if (expired >= limit) return { busy, rest: true };
    expired += c.checkDeadlines(now);
    busy ||= c.awaiting;
  }
  return { busy, rest: false };
}
