// Request durations in fixed cumulative buckets, the shape a Prometheus histogram exposes.

/**
 * Upper bounds in ms: Prometheus client libraries' default buckets (5 ms to 10 s) with 1 ms and
 * 30 s added, since a cache hit answers within 1 ms and a miss may wait on a slow origin.
 */
export const BOUNDS_MS: readonly number[] = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000];

/** Counts per bucket (not cumulative; index BOUNDS_MS.length is +Inf), their sum in ms and total. */
export interface BucketCounts {
  readonly counts: readonly number[];
  readonly sumMs: number;
  readonly count: number;
}

/** Durations since start, for `dproxy_request_duration_seconds`; a record is a short scan of the bounds. */
export class DurationBuckets {
  private readonly counts = new Array<number>(BOUNDS_MS.length + 1).fill(0);
  private sumMs = 0;
  private count = 0;

  /** Counts `count` requests that took `ms`. */
  record(ms: number, count = 1): void {
    let i = 0;
    while (i < BOUNDS_MS.length && ms > BOUNDS_MS[i]!) i++;
    this.counts[i]! += count;
    this.sumMs += ms * count;
    this.count += count;
  }

  snapshot(): BucketCounts {
    return { counts: this.counts.slice(), sumMs: this.sumMs, count: this.count };
  }
}
