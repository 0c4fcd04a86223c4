// What a node's metrics actor hands the exporters beside the wire (Prometheus, the stats page) when asked.
import type { BucketCounts } from './buckets.js';

/**
 * One reading of a node's metrics. `report` is the `data` of its METRICS answer (PROTOCOL.md), the
 * same object, so every exporter shows what METRICS shows; the rest is for Prometheus alone.
 */
export interface Sample<R> {
  readonly report: R;
  /** GETs answered since start, by status (PROTOCOL.md's status table). */
  readonly statuses: Readonly<Record<string, number>>;
  /** How long the answered GETs took since start; absent where the node does not time them. */
  readonly duration?: BucketCounts;
}

/**
 * Asks a node's metrics actor for a sample, the way METRICS asks it for its report: `take` is
 * called once, when the actor reads the request.
 */
export type Scrape<R> = (take: (sample: Sample<R>) => void) => void;

/** A scrape as a promise. */
export function sampleOf<R>(scrape: Scrape<R>): Promise<Sample<R>> {
  return new Promise((resolve) => scrape(resolve));
}
