import { expect } from 'chai';
import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { leastLoaded } from '../../../lib/balancer/strategies/least-loaded.js';
import type { GetMessage, RouteRequest, Routed } from '../../../lib/balancer/messages.js';
import { proxyState, type ClusterView } from '../../../lib/balancer/view.js';

/** A view from one entry per proxy: U or D for up or down, its requests in flight, and an optional weight ('U3', 'U3*0.5'). */
function view(...proxies: string[]): ClusterView {
  return {
    proxies: proxies.map((p, id) => {
      const [load, weight] = p.slice(1).split('*');
      return {
        ...proxyState(id, `127.0.0.1:${8001 + id}`),
        healthy: p[0] === 'U',
        reason: p[0] === 'U' ? null : 'probe timeout',
        inFlight: Number(load),
        weight: weight === undefined ? 1 : Number(weight),
      };
    }),
  };
}

function request(tried: number[] = []): RouteRequest {
  const message: GetMessage = { request: { op: 'GET', key: 'article/1' }, reply: () => undefined };
  return { message, tried };
}

/** The routed stream as marble characters: the chosen proxy's id, or x when none was chosen. */
const chosen = map((r: Routed) => (r.proxy === undefined ? 'x' : String(r.proxy)));

describe('least_loaded', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  it('picks the proxy with the fewest requests in flight', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      const views = hot('   v', { v: view('U3', 'U1', 'U2') });
      const requests = cold('-r-r-r', { r: request() });
      expectObservable(requests.pipe(leastLoaded(views), chosen)).toBe('-1-1-1');
    });
  });

  it('breaks ties round robin', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      const views = hot('   v', { v: view('U0', 'U0', 'U0') });
      const requests = cold('-r-r-r-r', { r: request() });
      expectObservable(requests.pipe(leastLoaded(views), chosen)).toBe('-0-1-2-0');
    });
  });

  it('breaks ties round robin among the least loaded only', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      const views = hot('   v', { v: view('U1', 'U0', 'U0') });
      const requests = cold('-r-r-r-r', { r: request() });
      expectObservable(requests.pipe(leastLoaded(views), chosen)).toBe('-1-2-1-2');
    });
  });

  it('follows the load in the latest view', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      const views = hot('   a-b', { a: view('U0', 'U0'), b: view('U0', 'U5') });
      const requests = cold('-r-r-r', { r: request() });
      expectObservable(requests.pipe(leastLoaded(views), chosen)).toBe('-0-0-0');
    });
  });

  it('skips an unhealthy proxy even when it is the least loaded', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      const views = hot('   v', { v: view('D0', 'U5', 'U3') });
      const requests = cold('-r-r', { r: request() });
      expectObservable(requests.pipe(leastLoaded(views), chosen)).toBe('-2-2');
    });
  });

  it('picks the least loaded of all proxies when none is healthy (panic mode)', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      const views = hot('   v', { v: view('D4', 'D1', 'D3') });
      const requests = cold('-r-r', { r: request() });
      expectObservable(requests.pipe(leastLoaded(views), chosen)).toBe('-1-1');
    });
  });

  it('never sends a retry to a proxy it already tried, however lightly loaded', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      const views = hot('   v', { v: view('U0', 'U1', 'U2') });
      const requests = cold('-a-b-c', { a: request([0]), b: request([0, 1]), c: request([0, 1, 2]) });
      expectObservable(requests.pipe(leastLoaded(views), chosen)).toBe('-1-2-x');
    });
  });

  it('compares requests in flight per unit of weight, so a ramping proxy counts as busier', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      // 1 in flight at weight 0.25 is 4 per unit: more than 3 at full weight, less than 5.
      const views = hot('   a-b', { a: view('U3', 'U1*0.25'), b: view('U5', 'U1*0.25') });
      const requests = cold('-r-r', { r: request() });
      expectObservable(requests.pipe(leastLoaded(views), chosen)).toBe('-0-1');
    });
  });

  it('reports the position after its choice as the cursor', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      const views = hot('   v', { v: view('U3', 'U1', 'U2') });
      const requests = cold('-r', { r: request() });
      expectObservable(requests.pipe(leastLoaded(views), map((r) => String(r.cursor)))).toBe('-2');
    });
  });
});
