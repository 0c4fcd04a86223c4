import { expect } from 'chai';
import { seededRandom } from '../lib/random.js';
import { uniformSampler, zipfSampler } from '../lib/zipf.js';

/** How often each rank came up in `draws` samples. */
function histogram(sample: () => number, n: number, draws: number): number[] {
  const counts = new Array<number>(n).fill(0);
  let outside = 0;
  for (let i = 0; i < draws; i++) {
    const k = sample();
    if (Number.isInteger(k) && k >= 0 && k < n) counts[k]!++;
    else outside++;
  }
  expect(outside, 'draws outside 0..n-1').to.equal(0);
  return counts;
}

describe('zipfSampler', () => {
  const draws = 200_000;

  it('asks rank 0 most often, and each rank no more often than the one before it (within noise)', () => {
    const counts = histogram(zipfSampler(100, 1.0, seededRandom(7)), 100, draws);
    expect(counts.indexOf(Math.max(...counts))).to.equal(0);
    for (let k = 1; k < 10; k++) expect(counts[k]).to.be.below(counts[k - 1]!);
  });

  for (const s of [0.8, 1.0, 1.5]) {
    it(`gives rank k a share of (1/(k+1)^${s}) / H within 5% for the top ten ranks`, () => {
      const n = 100;
      const counts = histogram(zipfSampler(n, s, seededRandom(11)), n, draws);
      let harmonic = 0;
      for (let k = 1; k <= n; k++) harmonic += 1 / Math.pow(k, s);
      for (let k = 0; k < 10; k++) {
        const expected = (1 / Math.pow(k + 1, s) / harmonic) * draws;
        expect(Math.abs(counts[k]! - expected) / expected, `rank ${k}`).to.be.below(0.05);
      }
    });
  }

  it('is uniform when s = 0', () => {
    const counts = histogram(zipfSampler(10, 0, seededRandom(3)), 10, 100_000);
    for (const c of counts) expect(Math.abs(c - 10_000) / 10_000).to.be.below(0.05);
  });

  it('draws the same ranks from the same seed', () => {
    const a = zipfSampler(1000, 1.0, seededRandom(42));
    const b = zipfSampler(1000, 1.0, seededRandom(42));
    expect(Array.from({ length: 100 }, a)).to.deep.equal(Array.from({ length: 100 }, b));
  });

  it('always draws 0 from a keyspace of one', () => {
    const sample = zipfSampler(1, 1.0, seededRandom(1));
    expect(Array.from({ length: 20 }, sample)).to.deep.equal(new Array(20).fill(0));
  });
});

describe('uniformSampler', () => {
  it('covers every rank of the range and nothing outside it, about equally', () => {
    const counts = histogram(uniformSampler(10, seededRandom(5)), 10, 100_000);
    for (const c of counts) expect(Math.abs(c - 10_000) / 10_000).to.be.below(0.05);
  });

  it('reaches both ends of a large range', () => {
    const sample = uniformSampler(1000, seededRandom(9));
    const seen = new Set(Array.from({ length: 50_000 }, sample));
    expect(seen.has(0)).to.equal(true);
    expect(seen.has(999)).to.equal(true);
    expect(Math.min(...seen)).to.equal(0);
    expect(Math.max(...seen)).to.equal(999);
  });
});
