import { expect } from 'chai';
import { hitRatio, latencyHistogram, perSecond, recordMs, summarizeLatency } from '../lib/summary.js';

describe('latency summary', () => {
  it('reads percentiles of 1..10000 µs as 5, 9, 9.9 and 9.99 ms, max 10 ms (3 significant digits)', () => {
    const h = latencyHistogram();
    for (let us = 1; us <= 10_000; us++) recordMs(h, us / 1000);
    const s = summarizeLatency(h);
    h.destroy();
    expect(s.p50).to.be.closeTo(5, 0.01);
    expect(s.p90).to.be.closeTo(9, 0.01);
    expect(s.p99).to.be.closeTo(9.9, 0.01);
    expect(s.p999).to.be.closeTo(9.99, 0.01);
    expect(s.max).to.be.closeTo(10, 0.01);
  });

  it('puts p99 on the slow tail: 990 answers at 1 ms and 10 at 50 ms give p50 1 ms, p99 1 ms, p99.9 50 ms', () => {
    const h = latencyHistogram();
    for (let i = 0; i < 990; i++) recordMs(h, 1);
    for (let i = 0; i < 10; i++) recordMs(h, 50);
    const s = summarizeLatency(h);
    h.destroy();
    expect(s.p50).to.be.closeTo(1, 0.001);
    expect(s.p99).to.be.closeTo(1, 0.001);
    expect(s.p999).to.be.closeTo(50, 0.05);
    expect(s.max).to.be.closeTo(50, 0.05);
  });

  it('counts anything under a microsecond as one microsecond', () => {
    const h = latencyHistogram();
    recordMs(h, 0);
    recordMs(h, 0.0001);
    expect(h.totalCount).to.equal(2);
    expect(summarizeLatency(h).max).to.equal(0.001);
    h.destroy();
  });

  it('reports zeros for a run with no answers', () => {
    const h = latencyHistogram();
    expect(summarizeLatency(h)).to.deep.equal({ p50: 0, p90: 0, p99: 0, p999: 0, max: 0 });
    h.destroy();
  });
});

describe('perSecond', () => {
  it('scales a count over milliseconds to a rate, rounded', () => {
    expect(perSecond(500, 250)).to.equal(2000);
    expect(perSecond(1, 3)).to.equal(333);
  });

  it('is 0 over an empty interval', () => {
    expect(perSecond(10, 0)).to.equal(0);
  });
});

describe('hitRatio', () => {
  it('is hits over hits plus misses', () => {
    expect(hitRatio(3, 1)).to.equal(0.75);
  });

  it('is null when no answer said hit or miss', () => {
    expect(hitRatio(0, 0)).to.equal(null);
  });
});
