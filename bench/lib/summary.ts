// Latency and rate summaries of a load run: an HDR histogram of microseconds in, milliseconds out.
import * as hdr from 'hdr-histogram-js';

/** Milliseconds at each percentile, and the largest value seen. */
export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** A histogram of latencies in microseconds, from 1 µs to 10 min, 3 significant digits. */
export function latencyHistogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
}

/** Records one latency given in milliseconds (kept at >= 1 µs, the histogram's resolution). */
export function recordMs(histogram: hdr.Histogram, ms: number): void {
  histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
}

/** Percentiles of a histogram of microseconds, in milliseconds; all zero when it is empty. */
export function summarizeLatency(histogram: hdr.Histogram): LatencySummary {
  const ms = (micros: number): number => micros / 1000;
  return {
    p50: ms(histogram.getValueAtPercentile(50)),
    p90: ms(histogram.getValueAtPercentile(90)),
    p99: ms(histogram.getValueAtPercentile(99)),
    p999: ms(histogram.getValueAtPercentile(99.9)),
    max: ms(histogram.maxValue),
  };
}

/** Events per second over `ms` milliseconds, rounded; 0 for an empty interval. */
export function perSecond(count: number, ms: number): number {
  return ms > 0 ? Math.round((count / ms) * 1000) : 0;
}

/** Hits over hits + misses, or null when no answer said either. */
export function hitRatio(hits: number, misses: number): number | null {
  return hits + misses === 0 ? null : hits / (hits + misses);
}
