import { expect } from 'chai';
import { leastLoaded } from '../../../lib/balancer/strategies/least-loaded.js';
import { consistentHash } from '../../../lib/balancer/strategies/consistent-hash.js';
import { p2c } from '../../../lib/balancer/strategies/p2c.js';
import { DEFAULT_STRATEGY, strategies, strategyNamed } from '../../../lib/balancer/strategies/registry.js';
import { roundRobin } from '../../../lib/balancer/strategies/round-robin.js';

describe('strategy registry', () => {
  it('finds every strategy by name', () => {
    expect(strategyNamed('consistent_hash')).to.equal(consistentHash);
    expect(strategyNamed('p2c')).to.equal(p2c);
    expect(strategyNamed('round_robin')).to.equal(roundRobin);
    expect(strategyNamed('least_loaded')).to.equal(leastLoaded);
  });

  it('lists exactly the registered strategies', () => {
    expect(Object.keys(strategies)).to.deep.equal(['consistent_hash', 'p2c', 'round_robin', 'least_loaded']);
  });

  it('defaults to consistent_hash, a registered strategy', () => {
    expect(DEFAULT_STRATEGY).to.equal('consistent_hash');
    expect(strategyNamed(DEFAULT_STRATEGY)).to.equal(consistentHash);
  });

  it('throws for an unknown name, listing the known ones', () => {
    expect(() => strategyNamed('random')).to.throw('unknown strategy "random"; known: consistent_hash, p2c, round_robin, least_loaded');
  });

  it('does not take a name inherited from Object for a strategy', () => {
    expect(() => strategyNamed('constructor')).to.throw(/unknown strategy "constructor"; known: consistent_hash, p2c, round_robin, least_loaded/);
    expect(() => strategyNamed('toString')).to.throw(/unknown strategy "toString"/);
  });
});
