import { expect } from 'chai';
import fc from 'fast-check';
import { slowStartWeight } from '../../../lib/balancer/health/slow-start.js';

describe('slow start', () => {
  it('gives a proxy 10% of its weight at the moment it comes back', () => {
    expect(slowStartWeight(100, 40, 100)).to.equal(0.1);
  });

  it('ramps linearly from 10% to 100% over the period', () => {
    expect([110, 120, 130].map((now) => slowStartWeight(100, 40, now))).to.deep.equal([0.325, 0.55, 0.775]);
  });

  it('gives full weight once the period is over', () => {
    expect(slowStartWeight(100, 40, 140)).to.equal(1);
    expect(slowStartWeight(100, 40, 1000)).to.equal(1);
  });

  it('gives full weight at once without slow start', () => {
    expect(slowStartWeight(100, 0, 100)).to.equal(1);
  });

  it('gives full weight to a proxy that never went away: slow start does not apply at start-up', () => {
    expect(slowStartWeight(-Infinity, 40, 0)).to.equal(1);
  });

  describe('properties', () => {
    const since = fc.integer({ min: 0, max: 1_000_000 });
    const period = fc.integer({ min: 0, max: 100_000 });
    const elapsed = fc.integer({ min: 0, max: 200_000 });

    it('keeps the weight within 10% and 100%', () => {
      fc.assert(
        fc.property(since, period, elapsed, (s, p, e) => {
          const weight = slowStartWeight(s, p, s + e);
          expect(weight).to.be.within(0.1, 1);
        }),
      );
    });

    it('never lowers the weight as time goes on', () => {
      fc.assert(
        fc.property(since, period, elapsed, elapsed, (s, p, e1, e2) => {
          const [earlier, later] = e1 <= e2 ? [e1, e2] : [e2, e1];
          expect(slowStartWeight(s, p, s + later)).to.be.at.least(slowStartWeight(s, p, s + earlier));
        }),
      );
    });

    it('reaches full weight exactly when the period is over', () => {
      fc.assert(
        fc.property(since, period, elapsed, (s, p, e) => {
          expect(slowStartWeight(s, p, s + e) === 1).to.equal(e >= p);
        }),
      );
    });
  });
});
