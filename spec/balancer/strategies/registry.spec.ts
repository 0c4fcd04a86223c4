import { expect } from 'chai';
import { leastLoaded } from '../../../lib/balancer/strategies/least-loaded.js';
import { strategies, strategyNamed } from '../../../lib/balancer/strategies/registry.js';
import { roundRobin } from '../../../lib/balancer/strategies/round-robin.js';

describe('strategy registry', () => {
  it('finds round_robin and least_loaded by name', () => {
    expect(strategyNamed('round_robin')).to.equal(roundRobin);
    expect(strategyNamed('least_loaded')).to.equal(leastLoaded);
  });

  it('lists exactly the registered strategies', () => {
    expect(Object.keys(strategies)).to.deep.equal(['round_robin', 'least_loaded']);
  });

  it('throws for an unknown name, listing the known ones', () => {
    expect(() => strategyNamed('random')).to.throw('unknown strategy "random"; known: round_robin, least_loaded');
  });

  it('does not take a name inherited from Object for a strategy', () => {
    expect(() => strategyNamed('constructor')).to.throw(/unknown strategy "constructor"; known: round_robin, least_loaded/);
    expect(() => strategyNamed('toString')).to.throw(/unknown strategy "toString"/);
  });
});
