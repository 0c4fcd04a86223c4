import { expect } from 'chai';
import { BehaviorSubject } from 'rxjs';
import { logViewChanges, viewEvents } from '../../lib/balancer/view-log.js';
import { proxyState, type ClusterView, type ProxyState } from '../../lib/balancer/view.js';
import { ManualClock } from '../net/manual-clock.js';
import { memoryLog } from '../log/memory-log.js';

function view(...changes: Partial<ProxyState>[]): ClusterView {
  return { proxies: changes.map((change, id) => ({ ...proxyState(id, `127.0.0.1:${8001 + id}`), ...change })) };
}

const said = (before: ClusterView, after: ClusterView) => viewEvents(before, after).map((e) => `${e.level} ${e.message} ${JSON.stringify(e.fields)}`);

describe('view log', () => {
  it('says a proxy went down with the reason, and came back up', () => {
    expect(said(view({}, {}), view({ healthy: false, reason: 'probe refused' }, {}))).to.deep.equal(['warn proxy down {"proxy":"127.0.0.1:8001","reason":"probe refused"}']);
    expect(said(view({ healthy: false, reason: 'probe refused' }, {}), view({ reason: 'probe refused' }, {}))).to.deep.equal(['info proxy up {"proxy":"127.0.0.1:8001"}']);
  });

  it('says a proxy was ejected, with the reason and how many times, and when its ejection ended', () => {
    const ejected = { ejected: true, ejections: 2, reason: 'ejected after 5 consecutive failures' };
    expect(said(view({}, {}), view(ejected, {}))).to.deep.equal(['warn proxy ejected {"proxy":"127.0.0.1:8001","reason":"ejected after 5 consecutive failures","ejections":2}']);
    expect(said(view(ejected, {}), view({ ...ejected, ejected: false }, {}))).to.deep.equal(['info proxy ejection ended {"proxy":"127.0.0.1:8001"}']);
  });

  it('says a proxy was added, is draining, and was removed', () => {
    expect(said(view({}), view({}, {}))).to.deep.equal(['info proxy added {"proxy":"127.0.0.1:8002"}']);
    expect(said(view({}, {}), view({ membership: 'draining' }, {}))).to.deep.equal(['info proxy draining {"proxy":"127.0.0.1:8001"}']);
    expect(said(view({ membership: 'draining' }, {}), view({ membership: 'removed' }, {}))).to.deep.equal(['info proxy removed {"proxy":"127.0.0.1:8001"}']);
  });

  it('says when no proxy is left available (panic mode), and when one is again', () => {
    expect(said(view({ healthy: false }, {}), view({ healthy: false }, { healthy: false, reason: 'probe timeout' }))).to.deep.equal([
      'warn proxy down {"proxy":"127.0.0.1:8002","reason":"probe timeout"}',
      'warn no proxy available: panic mode, requests go to any active proxy {}',
    ]);
    expect(said(view({ healthy: false }, { healthy: false }), view({}, { healthy: false }))).to.deep.equal(['info proxy up {"proxy":"127.0.0.1:8001"}', 'info a proxy is available again {}']);
  });

  it('says nothing of a change in weight or probe metrics', () => {
    expect(said(view({}), view({ weight: 0.5, metrics: { hits: 1 } }))).to.deep.equal([]);
  });

  it('writes pino lines for a health transition and for a drain, read back as JSON', () => {
    const clock = new ManualClock();
    clock.frame = 5000;
    const { log, entries } = memoryLog(clock);
    const view$ = new BehaviorSubject(view({}, {}));
    const logging = logViewChanges(view$, log);
    view$.next(view({ healthy: false, reason: 'traffic refused' }, {}));
    clock.advance(1000);
    view$.next(view({ healthy: false, reason: 'traffic refused' }, { membership: 'draining' }));
    view$.next(view({ healthy: false, reason: 'traffic refused' }, { membership: 'removed' }));
    logging.unsubscribe();
    expect(entries().map(({ level, time, proxy, reason, msg }) => ({ level, time, proxy, reason, msg }))).to.deep.equal([
      { level: 'warn', time: 5000, proxy: '127.0.0.1:8001', reason: 'traffic refused', msg: 'proxy down' },
      { level: 'info', time: 6000, proxy: '127.0.0.1:8002', reason: undefined, msg: 'proxy draining' },
      // The one proxy up no longer takes requests: only the one down is left to try.
      { level: 'warn', time: 6000, proxy: undefined, reason: undefined, msg: 'no proxy available: panic mode, requests go to any active proxy' },
      { level: 'info', time: 6000, proxy: '127.0.0.1:8002', reason: undefined, msg: 'proxy removed' },
    ]);
  });
});
