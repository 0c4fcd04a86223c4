// The one clock: every wait, interval, timeout and TTL in dproxy reads a SchedulerLike.
import { asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';

/** A clock is an RxJS scheduler: `now()` in ms, `schedule()` for timers. Tests pass a TestScheduler. */
export type Clock = SchedulerLike;

// The reading of the callback now running, until its microtasks are done.
let reading: number | undefined;
const forgetReading = (): void => {
  reading = undefined;
};

/**
 * Wall time for real processes. The only place in lib/ that reads the machine's time.
 *
 * It is read once per callback of the event loop: the first `now()` in a callback reads the
 * machine's time, and every later one until that callback's microtasks have run gets the same
 * value, as HAProxy's and nginx's `now` is updated once per turn of their loops. Reading the
 * machine's time is not free, and a balancer needs several readings per request (the forward's
 * start and end, the send's deadline), a proxy one (the TTL check): with a reading per callback,
 * a whole read of pipelined requests or answers takes one (docs/performance.md has the figures).
 * Timers run on RxJS's `asyncScheduler`.
 */
export const realClock: Clock = {
  now: () => {
    if (reading === undefined) {
      reading = Date.now();
      queueMicrotask(forgetReading);
    }
    return reading;
  },
  schedule: asyncScheduler.schedule.bind(asyncScheduler),
};

/** Runs `fn` once after `ms` on the given clock; unsubscribe to cancel. */
export function after(clock: Clock, ms: number, fn: () => void): Subscription {
  return clock.schedule(fn, ms);
}

/** Runs `fn` every `ms` on the given clock until unsubscribed. */
export function every(clock: Clock, ms: number, fn: () => void): Subscription {
  return clock.schedule(function tick(this: { schedule(state?: unknown, delay?: number): void }) {
    fn();
    this.schedule(undefined, ms);
  }, ms);
}

/** ISO-8601 text of a clock reading, for report fields such as start_time. */
export function isoTime(clock: Clock): string {
  return new Date(clock.now()).toISOString();
}

/**
 * Runs `fn` at the end of this turn of the event loop, after the I/O callbacks already queued.
 * Used to batch socket writes: every answer produced in one turn goes out in one write.
 */
export function onNextTurn(fn: () => void): void {
  setImmediate(fn);
}

/**
 * A high-resolution monotonic reading in ms, for measuring how long things took (benchmarks,
 * the client's latency_ms). Never used to decide behaviour: that reads a Clock.
 */
export function monotonicMs(): number {
  return performance.now();
}
