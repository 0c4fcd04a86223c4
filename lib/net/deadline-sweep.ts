// The deadline sweep of an upstream link: how often it runs, and how much of a burst of expiries one turn takes.
import type { Subscription } from 'rxjs';
import { every, type Clock } from '../time/clock.js';
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
    busy ||= c.inFlight > 0 || c.owesLateAnswer;
  }
  return { busy, rest: false };
}

/** What a link's sweep works on. */
export interface SweptLink {
  /** The link's connections, oldest first. */
  connections(): Iterable<PeerConnection>;
  /** Fails the requests still queued past their deadline at `now` (clock ms); true while any still wait. */
  expireQueued(now: number): boolean;
}

/**
 * One sweep per link instead of a timer per request: every `sweepTick` ms while anything is
 * outstanding, it fails what has waited too long in the link's queue and on its connections. A
 * burst past SWEEP_EXPIRIES_PER_TURN goes on in the next turns, after the pending I/O.
 */
export class DeadlineSweeper {
  private ticking?: Subscription;
  // A sweep's rest, due next turn when it had more to fail than one turn takes.
  private rest?: Subscription;

  constructor(
    private readonly clock: Clock,
    private readonly tickMs: number,
    private readonly link: SweptLink,
  ) {}

  /** Starts sweeping, if not already: call whenever a request is queued or sent. */
  watch(): void {
    if (this.ticking !== undefined) return;
    this.ticking = every(this.clock, this.tickMs, () => {
      const now = this.clock.now();
      const queued = this.link.expireQueued(now);
      if (!(this.checkConnections(now) || queued)) this.stop();
    });
  }

  stop(): void {
    this.ticking?.unsubscribe();
    this.ticking = undefined;
    this.rest?.unsubscribe();
    this.rest = undefined;
  }

  // True while anything is owed on the connections or left for the next turn.
  private checkConnections(now: number): boolean {
    const { busy, rest } = sweepDeadlines(this.link.connections(), now);
    if (rest) {
      this.rest ??= this.clock.schedule(() => {
        this.rest = undefined;
        this.checkConnections(this.clock.now());
      }, 0);
    }
    return busy || rest;
  }
}
