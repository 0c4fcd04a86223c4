import { expect } from 'chai';
import { BOUNDS_MS, DurationBuckets } from '../../lib/metrics/buckets.js';

describe('DurationBuckets', () => {
  it('puts a duration in the first bucket whose bound it does not exceed, as Prometheus\' le', () => {
    const b = new DurationBuckets();
    b.record(0);
    b.record(1);
    b.record(1.5);
    b.record(5);
    const { counts } = b.snapshot();
    expect(counts.slice(0, 3)).to.deep.equal([2, 2, 0]);
  });

  it('counts a duration past the last bound in +Inf, and keeps the sum and count', () => {
    const b = new DurationBuckets();
    b.record(60_000);
    b.record(3, 4);
    expect(b.snapshot()).to.deep.equal({ counts: [0, 4, ...Array<number>(BOUNDS_MS.length - 2).fill(0), 1], sumMs: 60_012, count: 5 });
  });

  it('hands out a copy: later records do not change a snapshot taken before', () => {
    const b = new DurationBuckets();
    const before = b.snapshot();
    b.record(1);
    expect(before.count).to.equal(0);
    expect(before.counts[0]).to.equal(0);
  });
});
