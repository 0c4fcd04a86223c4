import { expect } from 'chai';
import { Load } from '../../../lib/balancer/strategies/load.js';
import { view } from './clusters.js';

describe('strategy load', () => {
  /** A load that has taken `v`'s view. */
  const loadOf = (v = view('U0', 'U0', 'U0*0.1')): Load => {
    const load = new Load();
    load.view(v.view);
    return load;
  };

  it('counts requests in flight from sends, answers and failures', () => {
    const load = loadOf();
    load.count({ kind: 'sent', proxy: 1 });
    load.count({ kind: 'sent', proxy: 1 });
    load.count({ kind: 'sent', proxy: 2 });
    load.count({ kind: 'answered', proxy: 1 });
    load.count({ kind: 'failed', proxy: 2, failure: 'reset' });
    expect([0, 1, 2].map((id) => load.inFlight(id))).to.deep.equal([0, 1, 0]);
  });

  it('weighs a proxy at full weight by its requests in flight alone, however often it is chosen', () => {
    const { view: v } = view('U0', 'U0', 'U0*0.1');
    const load = loadOf();
    load.count({ kind: 'sent', proxy: 0 });
    for (let i = 0; i < 5; i++) load.chose(v.proxies, v.proxies[0]!);
    expect(load.owed(v.proxies[0]!)).to.equal(0);
    expect(load.weighted(v.proxies[0]!)).to.equal(1);
  });

  it('gives a ramping candidate weight / sum of weights of each choice, and takes one request from it when chosen', () => {
    const { view: v } = view('U0', 'U0', 'U0*0.5');
    const load = loadOf(view('U0', 'U0', 'U0*0.5'));
    const ramping = v.proxies[2]!;
    load.chose(v.proxies, v.proxies[0]!);
    expect(load.owed(ramping)).to.be.closeTo(0.2, 1e-12);
    load.chose(v.proxies, ramping);
    expect(load.owed(ramping)).to.be.closeTo(-0.6, 1e-12);
    // (0 in flight + 0.6 beyond its share) / 0.5 weight: busier than an idle proxy at full weight.
    expect(load.weighted(ramping)).to.be.closeTo(1.2, 1e-12);
    // Its share is of the candidates only: among two, 0.5 / 1.5.
    load.chose([v.proxies[0]!, ramping], v.proxies[0]!);
    expect(load.owed(ramping)).to.be.closeTo(-0.6 + 1 / 3, 1e-12);
  });

  it('weighs a ramping proxy owed its share by its requests in flight alone', () => {
    const ramp = view('U0', 'U0*0.5');
    const load = loadOf(ramp);
    load.chose(ramp.view.proxies, ramp.view.proxies[0]!);
    expect(load.owed(ramp.view.proxies[1]!)).to.be.above(0);
    expect(load.weighted(ramp.view.proxies[1]!)).to.equal(0);
    load.count({ kind: 'sent', proxy: 1 });
    expect(load.weighted(ramp.view.proxies[1]!)).to.equal(2);
  });

  it('keeps the balance within one request either way', () => {
    const { view: v } = view('U0', 'U0*0.5');
    const load = loadOf(view('U0', 'U0*0.5'));
    const ramping = v.proxies[1]!;
    for (let i = 0; i < 10; i++) load.chose(v.proxies, v.proxies[0]!);
    expect(load.owed(ramping)).to.equal(1);
    for (let i = 0; i < 10; i++) load.chose(v.proxies, ramping);
    expect(load.owed(ramping)).to.equal(-1);
  });

  it('drops the ledger of a proxy back at full weight, so its next ramp starts even', () => {
    const ramp = view('U0', 'U0*0.5');
    const load = loadOf(ramp);
    load.chose(ramp.view.proxies, ramp.view.proxies[1]!);
    expect(load.owed(ramp.view.proxies[1]!)).to.be.below(0);
    load.view(view('U0', 'U0').view);
    load.view(ramp.view);
    expect(load.owed(ramp.view.proxies[1]!)).to.equal(0);
  });

  it('keeps the ledger across views while the proxy ramps on', () => {
    const ramp = view('U0', 'U0*0.5');
    const load = loadOf(ramp);
    load.chose(ramp.view.proxies, ramp.view.proxies[1]!);
    const owed = load.owed(ramp.view.proxies[1]!);
    const later = view('U0', 'U0*0.6');
    load.view(later.view);
    expect(load.owed(later.view.proxies[1]!)).to.equal(owed);
  });
});
