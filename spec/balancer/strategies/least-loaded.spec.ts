import { expect } from 'chai';
import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { leastLoaded } from '../../../lib/balancer/strategies/least-loaded.js';
import { chosen, inputs, request, view } from './clusters.js';

describe('least_loaded', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  it('picks the proxy with the fewest requests in flight', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      const clusters = hot(' v', { v: view('U3', 'U1', 'U2') });
      const requests = cold('-r-r-r', { r: request() });
      const { views, outcomes } = inputs(clusters);
      expectObservable(requests.pipe(leastLoaded(views, { outcomes }), chosen)).toBe('-1-1-1');
    });
  });

  it('breaks ties round robin', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      const clusters = hot(' v', { v: view('U0', 'U0', 'U0') });
      const requests = cold('-r-r-r-r', { r: request() });
      const { views, outcomes } = inputs(clusters);
      expectObservable(requests.pipe(leastLoaded(views, { outcomes }), chosen)).toBe('-0-1-2-0');
    });
  });

  it('breaks ties round robin among the least loaded only', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      const clusters = hot(' v', { v: view('U1', 'U0', 'U0') });
      const requests = cold('-r-r-r-r', { r: request() });
      const { views, outcomes } = inputs(clusters);
      expectObservable(requests.pipe(leastLoaded(views, { outcomes }), chosen)).toBe('-1-2-1-2');
    });
  });

  it('follows the load as sends and answers change it', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      // The tie goes to 0; then five sends to 1 keep the next request on 0, where round robin
      // would have gone to 1; then four answers from 1 and three sends to 0 turn the load around.
      const clusters = hot(' a-b-c', { a: view('U0', 'U0'), b: view('U0', 'U5'), c: view('U3', 'U1') });
      const requests = cold('-r-r-r', { r: request() });
      const { views, outcomes } = inputs(clusters);
      expectObservable(requests.pipe(leastLoaded(views, { outcomes }), chosen)).toBe('-0-0-1');
    });
  });

  it('skips an unhealthy proxy even when it is the least loaded', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      const clusters = hot(' v', { v: view('D0', 'U5', 'U3') });
      const requests = cold('-r-r', { r: request() });
      const { views, outcomes } = inputs(clusters);
      expectObservable(requests.pipe(leastLoaded(views, { outcomes }), chosen)).toBe('-2-2');
    });
  });

  it('picks the least loaded of all proxies when none is healthy (panic mode)', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      const clusters = hot(' v', { v: view('D4', 'D1', 'D3') });
      const requests = cold('-r-r', { r: request() });
      const { views, outcomes } = inputs(clusters);
      expectObservable(requests.pipe(leastLoaded(views, { outcomes }), chosen)).toBe('-1-1');
    });
  });

  it('never sends a retry to a proxy it already tried, however lightly loaded', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      const clusters = hot(' v', { v: view('U0', 'U1', 'U2') });
      const requests = cold('-a-b-c', { a: request([0]), b: request([0, 1]), c: request([0, 1, 2]) });
      const { views, outcomes } = inputs(clusters);
      expectObservable(requests.pipe(leastLoaded(views, { outcomes }), chosen)).toBe('-1-2-x');
    });
  });

  it('compares requests in flight per unit of weight, so a ramping proxy counts as busier', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      // 1 in flight at weight 0.25 is 4 per unit: more than 3 at full weight, less than 5.
      const clusters = hot(' a-b', { a: view('U3', 'U1*0.25'), b: view('U5', 'U1*0.25') });
      const requests = cold('-r-r', { r: request() });
      const { views, outcomes } = inputs(clusters);
      expectObservable(requests.pipe(leastLoaded(views, { outcomes }), chosen)).toBe('-0-1');
    });
  });

  it('reports the position after its choice as the cursor', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      const clusters = hot(' v', { v: view('U3', 'U1', 'U2') });
      const requests = cold('-r', { r: request() });
      const { views, outcomes } = inputs(clusters);
      expectObservable(requests.pipe(leastLoaded(views, { outcomes }), map((r) => String(r.cursor)))).toBe('-2');
    });
  });
});
