import { expect } from 'chai';
import { Subject, map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { roundRobin } from '../../../lib/balancer/strategies/round-robin.js';
import { chosen, request, sequentialCounts, view as cluster } from './clusters.js';
import type { RouteRequest, Routed } from '../../../lib/balancer/messages.js';
import { proxyState, type ClusterView } from '../../../lib/balancer/view.js';

/** A view from one letter per proxy: U up, D down. */
function view(health: string): ClusterView {
  return {
    proxies: [...health].map((h, id) => ({
      ...proxyState(id, `127.0.0.1:${8001 + id}`),
      healthy: h === 'U',
      reason: h === 'U' ? null : 'probe timeout',
    })),
  };
}


describe('round_robin', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  it('sends each request to the next proxy in list order, wrapping around', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      const views = hot('   v', { v: view('UUU') });
      const requests = cold('-r-r-r-r', { r: request() });
      expectObservable(requests.pipe(roundRobin(views), chosen)).toBe('-0-1-2-0');
    });
  });

  it('skips unhealthy proxies', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      const views = hot('   v', { v: view('UDU') });
      const requests = cold('-r-r-r-r', { r: request() });
      expectObservable(requests.pipe(roundRobin(views), chosen)).toBe('-0-2-0-2');
    });
  });

  it('follows the latest view: a proxy marked down stops getting requests', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      const views = hot('   a---b', { a: view('UUU'), b: view('UDU') });
      const requests = cold('-r-r-r-r-r', { r: request() });
      expectObservable(requests.pipe(roundRobin(views), chosen)).toBe('-0-1-2-0-2');
    });
  });

  it('takes a proxy back in turn once it is healthy again', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      const views = hot('   a---b', { a: view('UDU'), b: view('UUU') });
      const requests = cold('-r-r-r-r-r', { r: request() });
      expectObservable(requests.pipe(roundRobin(views), chosen)).toBe('-0-2-0-1-2');
    });
  });

  it('tries every proxy when none is healthy (panic mode)', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      const views = hot('   v', { v: view('DDD') });
      const requests = cold('-r-r-r-r', { r: request() });
      expectObservable(requests.pipe(roundRobin(views), chosen)).toBe('-0-1-2-0');
    });
  });

  it('never sends a retry to a proxy it already tried', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      const views = hot('   v', { v: view('UUU') });
      const requests = cold('-a-b-c', { a: request([0]), b: request([1, 2]), c: request([2, 0]) });
      expectObservable(requests.pipe(roundRobin(views), chosen)).toBe('-1-0-1');
    });
  });

  it('excludes tried proxies in panic mode too', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      const views = hot('   v', { v: view('DDD') });
      const requests = cold('-a-b', { a: request([0]), b: request([0, 1, 2]) });
      expectObservable(requests.pipe(roundRobin(views), chosen)).toBe('-1-x');
    });
  });

  it('chooses none when every proxy has been tried', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      const views = hot('   v', { v: view('UU') });
      const requests = cold('-a', { a: request([1, 0]) });
      expectObservable(requests.pipe(roundRobin(views), chosen)).toBe('-x');
    });
  });

  it('reports the next position as its cursor, unchanged when it chooses none', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      const views = hot('   v', { v: view('UUU') });
      const requests = cold('-r-r-r-n-r', { r: request(), n: request([0, 1, 2]) });
      const cursors = requests.pipe(roundRobin(views), map((r) => String(r.cursor)));
      expectObservable(cursors).toBe('-1-2-0-0-1');
    });
  });

  it('carries the message and tried list through to the routed request, with the turn a retry leaves unmoved', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      const r = request([2]);
      const views = hot('   v', { v: view('UUU') });
      const requests = cold('-r', { r });
      expectObservable(requests.pipe(roundRobin(views))).toBe('-o', { o: { message: r.message, tried: [2], proxy: 0, cursor: 0 } });
    });
  });

  it('gives each subscription its own position', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      const views = hot('   v', { v: view('UUU') });
      const routed = cold('-r-r', { r: request() }).pipe(roundRobin(views), chosen);
      expectObservable(routed).toBe('-0-1');
      expectObservable(routed).toBe('-0-1');
    });
  });

  describe('retries', () => {
    it('neither take nor move the turn: it counts first attempts only', () => {
      scheduler.run(({ cold, hot, expectObservable }) => {
        const views = hot('   v', { v: view('UUU') });
        // The first attempt on 1 fails and is retried (f): the retry goes to 2, and the next
        // first attempt still has the turn after 1's, which is 2.
        const requests = cold('-r-r-f-r-r', { r: request(), f: request([1]) });
        expectObservable(requests.pipe(roundRobin(views), chosen)).toBe('-0-1-2-2-0');
        expectObservable(cold('-r-r-f-r-r', { r: request(), f: request([1]) }).pipe(roundRobin(views), map((r) => String(r.cursor)))).toBe('-1-2-2-0-1');
      });
    });

    it('go to the first untried candidate after the proxy that failed them last', () => {
      scheduler.run(({ cold, hot, expectObservable }) => {
        const views = hot('   a-----b', { a: view('UUU'), b: view('UUD') });
        const requests = cold('-a-b-c-d', { a: request([1]), b: request([1, 2]), c: request([0, 2]), d: request([1]) });
        // d: 2 is down, so after 1 comes 0.
        expectObservable(requests.pipe(roundRobin(views), chosen)).toBe('-2-0-1-0');
      });
    });

    it('leave 100 first attempts to each of 3 proxies in 300 when one always fails, its retries to the proxy after it', () => {
      // A forwarder in miniature: a first attempt routed to 1 fails and comes back at once with 1 tried.
      const firsts = [0, 0, 0];
      const retries = [0, 0, 0];
      scheduler.run(({ cold, hot }) => {
        const views = hot('v', { v: view('UUU') });
        const routes = new Subject<RouteRequest>();
        routes.pipe(roundRobin(views)).subscribe((r: Routed) => {
          if (r.tried.length > 0) retries[r.proxy!]!++;
          else {
            firsts[r.proxy!]!++;
            if (r.proxy === 1) routes.next({ message: r.message, tried: [1] });
          }
        });
        cold('-(r|)').subscribe(() => {
          for (let i = 0; i < 300; i++) routes.next(request());
        });
      });
      expect(firsts).to.deep.equal([100, 100, 100]);
      expect(retries).to.deep.equal([0, 0, 100]);
    });
  });

  describe('weights (slow start)', () => {
    // The ledger (load.ts) gives the ramping proxy weight / sum of weights of each request and takes
    // one for each it gets, within one request either way: over N requests it gets N * share, +-1.
    for (const weight of [0.1, 0.5]) {
      it(`gives a proxy at weight ${weight} its share ${weight} / ${2 + weight} of 2100 sequential requests, give or take one, and the others the rest evenly`, () => {
        const counts = sequentialCounts(scheduler, roundRobin, cluster('U0', 'U0', `U0*${weight}`), 2100);
        const expected = (2100 * weight) / (2 + weight);
        expect(counts[2]).to.be.within(expected - 1, expected + 1);
        expect(Math.abs(counts[0]! - counts[1]!)).to.be.at.most(1);
      });
    }

    it('takes the proxies in plain turn at full weight', () => {
      expect(sequentialCounts(scheduler, roundRobin, cluster('U0', 'U0', 'U0'), 300)).to.deep.equal([100, 100, 100]);
    });
  });
});
