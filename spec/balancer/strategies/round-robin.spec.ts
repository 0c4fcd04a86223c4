import { expect } from 'chai';
import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { roundRobin } from '../../../lib/balancer/strategies/round-robin.js';
import { chosen, request } from './clusters.js';
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

  it('carries the message and tried list through to the routed request', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      const r = request([2]);
      const views = hot('   v', { v: view('UUU') });
      const requests = cold('-r', { r });
      expectObservable(requests.pipe(roundRobin(views))).toBe('-o', { o: { message: r.message, tried: [2], proxy: 0, cursor: 1 } });
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
});
