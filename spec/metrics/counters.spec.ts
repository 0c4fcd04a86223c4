import { expect } from 'chai';
import { Counters, hitRate } from '../../lib/metrics/counters.js';

describe('Counters', () => {
  it('starts every named counter at 0', () => {
    const c = new Counters(['hit', 'miss'] as const);
    expect(c.get('hit')).to.equal(0);
    expect(c.snapshot()).to.deep.equal({ hit: 0, miss: 0 });
  });

  it('increments by one, or by a given amount', () => {
    const c = new Counters(['hit', 'miss'] as const);
    c.inc('hit');
    c.inc('hit');
    c.inc('miss', 5);
    expect(c.get('hit')).to.equal(2);
    expect(c.get('miss')).to.equal(5);
  });

  it('lists counters in the order they were named', () => {
    const c = new Counters(['requests', 'retries', 'no_proxy'] as const);
    c.inc('no_proxy');
    expect(Object.keys(c.snapshot())).to.deep.equal(['requests', 'retries', 'no_proxy']);
  });

  it('gives a snapshot that later increments do not change', () => {
    const c = new Counters(['hit'] as const);
    const before = c.snapshot();
    c.inc('hit');
    expect(before).to.deep.equal({ hit: 0 });
    expect(c.snapshot()).to.deep.equal({ hit: 1 });
  });
});

describe('hitRate', () => {
  it('is 0 when there are no hits and no misses', () => {
    expect(hitRate(0, 0)).to.equal(0);
  });

  it('is hits / (hits + misses)', () => {
    expect(hitRate(3, 1)).to.equal(0.75);
    expect(hitRate(0, 2)).to.equal(0);
    expect(hitRate(2, 0)).to.equal(1);
  });
});
