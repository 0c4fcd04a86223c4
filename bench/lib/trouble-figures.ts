// The arithmetic of the origin-trouble figures: latency and answer-time summaries of timed requests,
// origin fetches per key, each proxy's share of a key's requests.
import type { Timed } from './timed-gets.js';

/**
 * The nearest-rank percentile (`p` in 0..100) of ascending `sorted`: the smallest value with at
 * least p% of the values at or below it; undefined for an empty list.
 */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

/** Milliseconds, to 0.01; Infinity (null in the results JSON) where a request counted was never answered. */
export interface Spread {
  p50: number;
  p99: number;
  max: number;
}

/** When the answers of one status came, in ms (to 0.01) since the run started. */
export interface StatusTimes {
  count: number;
  first: number;
  p50: number;
  last: number;
}

export interface AnswerSummary {
  requests: number;
  ok: number;
  /** Answers that said `"cache_hit":false`: fetched from the origin (or a peer) for this request or one it waited on. */
  cacheMisses: number;
  /** Requests by status other than OK (NO_ANSWER: none came). */
  errors: Record<string, number>;
  /**
   * Each request's latency, from its send to its answer, in ms; one never answered counts as
   * Infinity, so a p99 over a run where more than 1% went unanswered reads Infinity, not the
   * latency of the lucky ones. Undefined when nothing was sent.
   */
  latency?: Spread;
  /** When each status's answers came (NO_ANSWER has none). */
  answeredAt: Record<string, StatusTimes>;
}

/** Counts, latency spread and answer times of a run of timed requests. */
export function summarizeAnswers(results: readonly Timed[]): AnswerSummary {
  const errors: Record<string, number> = {};
  const latencies: number[] = [];
  const times = new Map<string, number[]>();
  let ok = 0;
  let cacheMisses = 0;
  for (const r of results) {
    if (r.status === 'OK') ok++;
    else errors[r.status] = (errors[r.status] ?? 0) + 1;
    if (r.cacheHit === false) cacheMisses++;
    if (r.sentMs === undefined) continue;
    latencies.push(r.answeredMs === undefined ? Infinity : r.answeredMs - r.sentMs);
    if (r.answeredMs === undefined) continue;
    const list = times.get(r.status);
    if (list === undefined) times.set(r.status, [r.answeredMs]);
    else list.push(r.answeredMs);
  }
  latencies.sort((a, b) => a - b);
  const answeredAt: Record<string, StatusTimes> = {};
  for (const [status, list] of times) {
    list.sort((a, b) => a - b);
    answeredAt[status] = { count: list.length, first: hundredths(list[0]!), p50: hundredths(percentile(list, 50)!), last: hundredths(list[list.length - 1]!) };
  }
  return {
    requests: results.length,
    ok,
    cacheMisses,
    errors,
    ...(latencies.length === 0
      ? {}
      : { latency: { p50: hundredths(percentile(latencies, 50)!), p99: hundredths(percentile(latencies, 99)!), max: hundredths(latencies[latencies.length - 1]!) } }),
    answeredAt,
  };
}

const hundredths = (ms: number): number => (ms === Infinity ? ms : Math.round(ms * 100) / 100);

/** When the last request of a run was answered, in ms since the start; Infinity if any never was. */
export function allAnsweredMs(results: readonly Timed[]): number {
  let last = 0;
  for (const r of results) {
    if (r.answeredMs === undefined) return Infinity;
    last = Math.max(last, r.answeredMs);
  }
  return last;
}

export interface FetchesPerKey {
  keys: number;
  /** Origin fetches of the most fetched key, and the mean over every key asked (0 for a key never fetched). */
  max: number;
  mean: number;
  /** Keys fetched more than once, and keys never fetched. */
  overOnce: number;
  never: number;
}

/** Origin fetches of each of `keys`, from the origin's per-key GET counts. */
export function fetchesPerKey(counts: Readonly<Record<string, number>>, keys: readonly string[]): FetchesPerKey {
  let max = 0;
  let total = 0;
  let overOnce = 0;
  let never = 0;
  for (const key of keys) {
    const n = counts[key] ?? 0;
    max = Math.max(max, n);
    total += n;
    if (n > 1) overOnce++;
    if (n === 0) never++;
  }
  return { keys: keys.length, max, mean: keys.length === 0 ? 0 : total / keys.length, overOnce, never };
}

/**
 * Each proxy's share of the requests counted between two readings of every proxy's
 * `total_requests` (same order): fractions summing to 1, or all 0 when none were counted.
 */
export function sharesOf(before: readonly number[], after: readonly number[]): number[] {
  const deltas = after.map((n, i) => Math.max(0, n - (before[i] ?? 0)));
  const total = deltas.reduce((sum, n) => sum + n, 0);
  return deltas.map((n) => (total === 0 ? 0 : n / total));
}
