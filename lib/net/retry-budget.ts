// The retry budget: retries may be at most a fraction of requests over a sliding window (Envoy's retry budget); the balancer's forwarder and the proxy's fetcher each keep one.
import type { Clock } from '../time/clock.js';

export interface RetryBudgetOptions {
  /** Retries allowed per 100 requests in the window. */
  percent: number;
  /** Window length in ms, kept in one-second buckets. */
  windowMs: number;
  /** Retries always allowed per window, so a quiet balancer can still fail over. */
  minRetries: number;
}

export const DEFAULT_RETRY_BUDGET: RetryBudgetOptions = { percent: 20, windowMs: 10_000, minRetries: 10 };

/** Counts requests and retries per second of the clock; a sick cluster is not hammered by retries. */
export class RetryBudget {
  private readonly seconds: number[];
  private readonly requests: number[];
  private readonly retries: number[];

  constructor(
    private readonly clock: Clock,
    private readonly options: RetryBudgetOptions = DEFAULT_RETRY_BUDGET,
  ) {
    const buckets = Math.max(1, Math.ceil(options.windowMs / 1000));
    this.seconds = new Array<number>(buckets).fill(-1);
    this.requests = new Array<number>(buckets).fill(0);
    this.retries = new Array<number>(buckets).fill(0);
  }

  /** Counts one request; `now` is the clock's reading, for a caller that has just taken it. */
  request(now = this.clock.now()): void {
    this.requests[this.bucket(now)]!++;
  }

  /** Takes one retry from the budget if there is one left. */
  tryRetry(): boolean {
    const i = this.bucket();
    const { requests, retries } = this.totals();
    if (retries >= this.allowed(requests)) return false;
    this.retries[i]!++;
    return true;
  }

  /** Retries used and allowed in the current window, for METRICS. */
  usage(): { used: number; allowed: number } {
    this.bucket();
    const { requests, retries } = this.totals();
    return { used: retries, allowed: this.allowed(requests) };
  }

  /** Rounded down, so retries never pass percent% of requests and METRICS shows what is enforced. */
  private allowed(requests: number): number {
    return Math.max(this.options.minRetries, Math.floor((requests * this.options.percent) / 100));
  }

  private totals(): { requests: number; retries: number } {
    let requests = 0;
    let retries = 0;
    for (let i = 0; i < this.seconds.length; i++) {
      requests += this.requests[i]!;
      retries += this.retries[i]!;
    }
    return { requests, retries };
  }

  /** The bucket of the current second, emptied when it last held an older second. */
  private bucket(now = this.clock.now()): number {
    const second = Math.floor(now / 1000);
    const i = second % this.seconds.length;
    if (this.seconds[i] !== second) {
      // Every bucket not touched within the window is stale; clear those between.
      for (let j = 0; j < this.seconds.length; j++) {
        if (second - this.seconds[j]! >= this.seconds.length) {
          this.seconds[j] = -1;
          this.requests[j] = 0;
          this.retries[j] = 0;
        }
      }
      this.seconds[i] = second;
      this.requests[i] = 0;
      this.retries[i] = 0;
    }
    return i;
  }
}
