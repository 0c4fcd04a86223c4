// Latency percentiles over a sliding window: the last minute, kept in six 10 s slices of HDR histograms.
import * as hdr from 'hdr-histogram-js';

/** Milliseconds each slice covers; the clock's tick every SLICE_MS turns the window (`rotate`). */
export const SLICE_MS = 10_000;
/** Slices kept: the window spans the last SLICES x SLICE_MS, the newest slice partly filled. */
export const SLICES = 6;
/**
 * The largest latency recorded as itself, in ms; longer ones count at this value. No answer the
 * nodes give waits this long (--request-timeout and --origin-timeout are seconds).
 */
export const MAX_TRACKED_MS = 3_600_000;

/** p50, p90 and p99 in whole ms of the clock; 0 when the window is empty. */
export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
}

const build = (): hdr.Histogram => hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: MAX_TRACKED_MS, numberOfSignificantValueDigits: 2 });

/**
 * A rolling window of latencies, as Prometheus summaries and HAProxy's stats age their
 * quantiles: recording goes to the newest slice, `rotate` (every SLICE_MS of the clock, driven by
 * the owner) drops the oldest, and a reading merges the slices. Recording costs one HDR record;
 * the merge is paid by the reader, once per METRICS request.
 */
export class LatencyWindow {
  private readonly slices: hdr.Histogram[] = Array.from({ length: SLICES }, build);
  private newest = 0;
  private readonly merged = build();

  /** Counts `count` requests that took `ms` (clamped to 0..MAX_TRACKED_MS). */
  record(ms: number, count = 1): void {
    this.slices[this.newest]!.recordValueWithCount(Math.min(Math.max(0, Math.round(ms)), MAX_TRACKED_MS), count);
  }

  /** Starts a new slice, forgetting the oldest one. */
  rotate(): void {
    this.newest = (this.newest + 1) % SLICES;
    this.slices[this.newest]!.reset();
  }

  /** Percentiles over every slice still in the window. */
  percentiles(): Percentiles {
    this.merged.reset();
    for (const slice of this.slices) if (slice.totalCount > 0) this.merged.add(slice);
    if (this.merged.totalCount === 0) return { p50: 0, p90: 0, p99: 0 };
    const at = (p: number): number => this.merged.getValueAtPercentile(p);
    return { p50: at(50), p90: at(90), p99: at(99) };
  }

  /** Releases the histograms. */
  destroy(): void {
    for (const slice of this.slices) slice.destroy();
    this.merged.destroy();
  }
}
