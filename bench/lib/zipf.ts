// Key samplers: uniform, and Zipf(s) where the k-th most popular key is asked with weight 1/k^s.

export type Sampler = () => number;

export function uniformSampler(n: number, random: () => number): Sampler {
  return () => Math.floor(random() * n);
}

/**
 * Inverse-CDF sampling over a precomputed cumulative table: O(n) memory once, O(log n) a draw.
 * Returns ranks 0..n-1, 0 the most popular.
 */
export function zipfSampler(n: number, s: number, random: () => number): Sampler {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let k = 0; k < n; k++) {
    sum += 1 / Math.pow(k + 1, s);
    cdf[k] = sum;
  }
  for (let k = 0; k < n; k++) cdf[k]! /= sum;
  return () => {
    const u = random();
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}
