import { expect } from 'chai';
import { available, candidates, initialView, proxyState, type ClusterView, type ProxyState } from '../../lib/balancer/view.js';

/** A view of proxies 0..n-1, each changed as given. */
function view(...changes: Partial<ProxyState>[]): ClusterView {
  return { proxies: changes.map((change, id) => ({ ...proxyState(id, `127.0.0.1:${8001 + id}`), ...change })) };
}

const ids = (proxies: readonly ProxyState[]) => proxies.map((p) => p.id);

describe('cluster view', () => {
  it('starts every proxy active, healthy, at full weight and never ejected, numbered in list order, with no load field', () => {
    // Exact equality: the load is counted by each actor from the outcomes, so the view must not carry it.
    expect(initialView(['127.0.0.1:8001', '127.0.0.1:8002'])).to.deep.equal({
      proxies: [0, 1].map((id) => ({
        id,
        address: `127.0.0.1:${8001 + id}`,
        healthy: true,
        reason: null,
        metrics: null,
        weight: 1,
        ejected: false,
        ejections: 0,
        membership: 'active',
      })),
    });
  });

  it('counts a proxy available only when active, healthy and not ejected', () => {
    const p = proxyState(0, '127.0.0.1:8001');
    expect(available(p)).to.equal(true);
    // Weight only shapes how much traffic a proxy gets, never whether it may get any.
    expect(available({ ...p, weight: 0.1 })).to.equal(true);
    expect(available({ ...p, healthy: false })).to.equal(false);
    expect(available({ ...p, ejected: true })).to.equal(false);
    expect(available({ ...p, membership: 'draining' })).to.equal(false);
    expect(available({ ...p, membership: 'removed' })).to.equal(false);
  });

  it('offers the available proxies not yet tried', () => {
    const v = view({}, { healthy: false }, { ejected: true }, { membership: 'draining' }, {}, {});
    expect(ids(candidates(v, []))).to.deep.equal([0, 4, 5]);
    expect(ids(candidates(v, [4]))).to.deep.equal([0, 5]);
  });

  it('offers none when every available proxy was tried, even if unavailable ones remain', () => {
    const v = view({}, { healthy: false }, { ejected: true });
    expect(ids(candidates(v, [0]))).to.deep.equal([]);
  });

  it('offers every active proxy not yet tried, down or ejected, when none is available (panic mode)', () => {
    const v = view({ healthy: false }, { ejected: true }, { membership: 'draining' }, { membership: 'removed' }, { healthy: false, ejected: true });
    expect(ids(candidates(v, []))).to.deep.equal([0, 1, 4]);
    expect(ids(candidates(v, [1]))).to.deep.equal([0, 4]);
  });

  it('offers none from an empty or wholly removed cluster', () => {
    expect(candidates({ proxies: [] }, [])).to.deep.equal([]);
    expect(candidates(view({ membership: 'removed' }, { membership: 'draining' }), [])).to.deep.equal([]);
  });
});
