import { expect } from 'chai';
import { Fleet } from '../lib/fleet.js';
import { runOriginTrouble, SCENARIOS } from '../lib/origin-trouble.js';
import type { FanInResult, FetchesResult, HotKeyResult, IsolationResult, TimeoutResult } from '../lib/trouble-report.js';

// The origin-trouble stage end to end at toy sizes, on real processes: every scenario runs and
// its figures add up. How well the product does is the bench's to say, not this spec's.
describe('origin-trouble stage (smoke)', () => {
  const fleet = new Fleet();
  after(() => fleet.stopAll());

  it('runs every scenario on its own processes and reports figures that add up', async function () {
    this.timeout(120_000);
    const logged: string[] = [];
    const t = await runOriginTrouble(
      {
        scenarios: SCENARIOS,
        cachedKeys: 5,
        misses: 10,
        slowMs: 300,
        probeRate: 50,
        probeMs: 200,
        missDeadlineMs: 3000,
        fanIn: 5,
        delayMs: 20,
        fetchKeys: 30,
        fetchRounds: 2,
        hotMs: 200,
        timeoutMisses: 5,
        timeoutSlowMs: 400,
        originTimeoutMs: 200,
        graceMs: 1000,
        seed: 1,
        command: 'smoke',
        log: (line) => void logged.push(line),
      },
      fleet,
    );
    const where = JSON.stringify(t, null, 1) + logged.join('\n');
    const isolation = t.isolation as IsolationResult;
    expect(isolation.without, where).to.not.equal(undefined);
    expect(isolation.without.requests).to.equal(10);
    expect(isolation.with.requests).to.equal(10);
    expect(isolation.misses.requests).to.equal(10);
    const fanIn = t.fanIn as FanInResult;
    expect(fanIn.answers, where).to.not.equal(undefined);
    expect(fanIn.answers.requests).to.equal(5);
    expect(fanIn.multiple).to.equal(fanIn.allAnsweredMs / 20);
    const fetches = t.fetches as FetchesResult;
    expect(fetches.answers, where).to.not.equal(undefined);
    expect(fetches.answers.requests).to.equal(60);
    expect(fetches.fetches.keys).to.equal(30);
    expect(fetches.afterKill.requests).to.equal(30);
    const hot = t.hotKey as HotKeyResult;
    expect(hot.shares, where).to.have.length(3);
    expect(hot.shares.filter((s) => s.owner)).to.have.length(1);
    expect(hot.shares.reduce((sum, s) => sum + s.share, 0)).to.be.closeTo(1, 1e-9);
    expect(hot.originFetches).to.be.at.least(1);
    const timeout = t.timeout as TimeoutResult;
    expect(timeout.slow, where).to.not.equal(undefined);
    expect(timeout.slow.requests).to.equal(5);
    expect(timeout.fast.requests).to.equal(5);
    expect(t.targets.length).to.equal(6);
  });
});
