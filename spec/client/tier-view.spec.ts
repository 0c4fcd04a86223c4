import { expect } from 'chai';
import { tierView, type Reading } from '../../lib/client/tier-view.js';

const reading = (at: number, metrics: Record<string, unknown>): Reading => ({ at, metrics });
const proxy = (fields: Record<string, unknown>) => ({ healthy: true, metrics: null, reason: null, in_flight: 0, requests: 0, ejected: false, weight: 1, state: 'active', ...fields });

describe('tier view', () => {
  it('gives request rates per second of the readings\' clock, for the tier and per proxy', () => {
    const view = tierView(
      reading(10_000, { requests: 100, proxies: { a: proxy({ requests: 40 }) } }),
      reading(12_000, { requests: 700, proxies: { a: proxy({ requests: 440 }) } }),
    );
    expect(view.rps).to.equal(300);
    expect(view.proxies[0]!.rps).to.equal(200);
  });

  it('has no rate for a proxy new since the previous reading, nor from a single reading', () => {
    const view = tierView(reading(0, { proxies: {} }), reading(1000, { proxies: { a: proxy({ requests: 5 }) } }));
    expect(view.proxies[0]!.rps).to.equal(null);
    expect(tierView(undefined, reading(0, { requests: 5 })).rps).to.equal(null);
  });

  it('names each state: draining before down before ejected before slow start', () => {
    const view = tierView(
      undefined,
      reading(0, {
        proxies: {
          a: proxy({ state: 'draining', healthy: false }),
          b: proxy({ healthy: false, ejected: true }),
          c: proxy({ ejected: true, weight: 0.5 }),
          d: proxy({ weight: 0.5 }),
          e: proxy({}),
        },
      }),
    );
    expect(view.proxies.map((p) => p.state)).to.deep.equal(['draining', 'down', 'ejected', 'slow start', 'up']);
  });

  it('takes the hit ratio from the proxy\'s own METRICS, none before its first probe', () => {
    const view = tierView(undefined, reading(0, { proxies: { a: proxy({ metrics: { hit_rate: 0.25 } }), b: proxy({}) } }));
    expect(view.proxies.map((p) => p.hitRatio)).to.deep.equal([0.25, null]);
  });

  it('reads the fields an older balancer lacks as 0', () => {
    const view = tierView(undefined, reading(0, { strategy: 'p2c' }));
    expect(view).to.deep.equal({ strategy: 'p2c', requests: 0, rps: null, errors: 0, retries: 0, budget: { used: 0, allowed: 0 }, latency: { p50: 0, p90: 0, p99: 0 }, proxies: [] });
  });

  it('is self-contained, so the stats page can embed its source and compute the same view', () => {
    const embedded = new Function(`return ${tierView.toString()}`)() as typeof tierView;
    const before = reading(0, { requests: 1, proxies: { a: proxy({ requests: 1, metrics: { hit_rate: 0.5 } }) } });
    const latest = reading(500, { requests: 11, proxies: { a: proxy({ requests: 6, healthy: false, reason: 'probe timeout' }) } });
    expect(embedded(before, latest)).to.deep.equal(tierView(before, latest));
  });
});
