import { expect } from 'chai';
import { LatencyWindow, MAX_TRACKED_MS, SLICES } from '../../lib/metrics/window.js';

describe('LatencyWindow', () => {
  it('reads 0 for every percentile while empty', () => {
    expect(new LatencyWindow().percentiles()).to.deep.equal({ p50: 0, p90: 0, p99: 0 });
  });

  it('gives p50, p90 and p99 of what was recorded, counts included', () => {
    const w = new LatencyWindow();
    w.record(2, 89);
    w.record(10);
    w.record(40, 9);
    w.record(200);
    expect(w.percentiles()).to.deep.equal({ p50: 2, p90: 10, p99: 40 });
  });

  it('keeps a slice through SLICES - 1 turns and forgets it at the next', () => {
    const w = new LatencyWindow();
    w.record(50);
    for (let i = 0; i < SLICES - 1; i++) w.rotate();
    expect(w.percentiles().p99).to.equal(50);
    w.rotate();
    expect(w.percentiles().p99).to.equal(0);
  });

  it('merges every slice still in the window', () => {
    const w = new LatencyWindow();
    w.record(10);
    w.rotate();
    w.record(20);
    expect(w.percentiles()).to.deep.equal({ p50: 10, p90: 20, p99: 20 });
  });

  it('counts a latency past the tracked range at its top, and a negative one as 0', () => {
    const w = new LatencyWindow();
    w.record(MAX_TRACKED_MS * 2);
    expect(w.percentiles().p99).to.be.within(MAX_TRACKED_MS * 0.99, MAX_TRACKED_MS * 1.01);
    const v = new LatencyWindow();
    v.record(-5);
    expect(v.percentiles().p99).to.equal(0);
  });
});
