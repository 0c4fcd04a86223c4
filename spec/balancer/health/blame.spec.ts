import { expect } from 'chai';
import { blamesProxy, mayRedispatch } from '../../../lib/balancer/health/blame.js';
import type { LinkFailure } from '../../../lib/net/upstream.js';

const FAILURES: readonly LinkFailure[] = ['refused', 'connect_timeout', 'reset', 'timeout', 'garbage', 'closed'];

describe('blame', () => {
  it('holds every link failure against the proxy but a request that timed out', () => {
    expect(FAILURES.filter(blamesProxy)).to.deep.equal(['refused', 'connect_timeout', 'reset', 'garbage', 'closed']);
  });

  it('redispatches every failure that blames the proxy, whether the proxy is in service or not', () => {
    for (const failure of FAILURES.filter(blamesProxy)) {
      expect([mayRedispatch(failure, false), mayRedispatch(failure, true)], failure).to.deep.equal([true, true]);
    }
  });

  it('redispatches a request that timed out only when its proxy is out of service', () => {
    expect([mayRedispatch('timeout', false), mayRedispatch('timeout', true)]).to.deep.equal([false, true]);
  });
});
