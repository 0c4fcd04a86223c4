// A node's resident memory over a run: samples, and its growth from just after warm-up to the end.

/** One reading of a process's RSS, `atMs` from the start of the run. */
export interface RssSample {
  atMs: number;
  rssMiB: number;
}

/** What a node held once warmed up and at the end, and the growth between, in MiB and percent. */
export interface RssGrowth {
  startMiB: number;
  endMiB: number;
  /** (end - start) / start * 100. */
  growthPercent: number;
}

/** The median RSS of the samples taken in [fromMs, toMs], or undefined when there are none. */
export function medianRss(samples: readonly RssSample[], fromMs: number, toMs: number): number | undefined {
  const values = samples
    .filter((s) => s.atMs >= fromMs && s.atMs <= toMs)
    .map((s) => s.rssMiB)
    .sort((a, b) => a - b);
  if (values.length === 0) return undefined;
  const mid = values.length >> 1;
  return values.length % 2 === 1 ? values[mid]! : (values[mid - 1]! + values[mid]!) / 2;
}

/**
 * Growth from the median of the first `windowMs` after `warmMs` to the median of the last
 * `windowMs` up to `endMs`: medians over windows, so that one sample taken just before a
 * garbage collection neither makes nor hides a leak. Undefined when a window holds no sample.
 */
export function rssGrowth(samples: readonly RssSample[], warmMs: number, endMs: number, windowMs: number): RssGrowth | undefined {
  const startMiB = medianRss(samples, warmMs, warmMs + windowMs);
  const endMiB = medianRss(samples, endMs - windowMs, endMs);
  if (startMiB === undefined || endMiB === undefined) return undefined;
  return { startMiB, endMiB, growthPercent: Math.round(((endMiB - startMiB) / startMiB) * 1000) / 10 };
}

/**
 * RSS at `points` evenly spaced times from `fromMs` to `toMs`, each the median of the samples
 * within 2 s of it (undefined where there are none): whether growth levels off or keeps on.
 */
export function rssPath(samples: readonly RssSample[], fromMs: number, toMs: number, points: number): (number | undefined)[] {
  const step = points > 1 ? (toMs - fromMs) / (points - 1) : 0;
  return Array.from({ length: points }, (_, i) => medianRss(samples, fromMs + i * step - 2000, fromMs + i * step + 2000));
}
