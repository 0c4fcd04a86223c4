import { expect } from 'chai';
import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { leastLoaded } from '../../../lib/balancer/strategies/least-loaded.js';
import { chosen, inputs, request, sequentialCounts, view } from './clusters.js';

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

  it('leaves the turn where it is on a retry: ties among first attempts still go round', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      const clusters = hot(' v', { v: view('U0', 'U0', 'U0') });
      // The retry of a request that failed on 0 takes the tie at 1 and leaves the turn at 1.
      const requests = cold('-r-f-r-r', { r: request(), f: request([0]) });
      const { views, outcomes } = inputs(clusters);
      expectObservable(requests.pipe(leastLoaded(views, { outcomes }), chosen)).toBe('-0-1-1-2');
    });
  });

  describe('weights (slow start) when requests do not overlap', () => {
    // Every proxy has 0 in flight at every choice, so in-flight load per unit of weight is 0 for
    // all and the weight alone cannot tell them apart. The ledger (load.ts) gives the ramping proxy
    // weight / sum of weights of each request and takes one for each it gets, within one request
    // either way: over N requests it gets N * share, +-1; the others take turns with the rest.
    for (const weight of [0.1, 0.5]) {
      it(`gives a proxy at weight ${weight} its share ${weight} / ${2 + weight} of 2100 requests, give or take one, and the others the rest evenly`, () => {
        const counts = sequentialCounts(scheduler, leastLoaded, view('U0', 'U0', `U0*${weight}`), 2100);
        const expected = (2100 * weight) / (2 + weight);
        expect(counts[2]).to.be.within(expected - 1, expected + 1);
        expect(Math.abs(counts[0]! - counts[1]!)).to.be.at.most(1);
      });
    }

    it('spreads them evenly at full weight', () => {
      expect(sequentialCounts(scheduler, leastLoaded, view('U0', 'U0', 'U0'), 300)).to.deep.equal([100, 100, 100]);
    });
  });

  it('still counts a ramping proxy that has had its share as busier than its in-flight count alone', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      // Taken at once while owed nothing (a tie at 0 in turn), then it has had more than its
      // share: 0 in flight + (1 - 1/3) over weight 0.5 is 1.33, more than 1 in flight at full
      // weight; a second request in flight at 1 (2) makes it the least loaded again.
      const clusters = hot(' a-b-c', { a: view('U0*0.5', 'U0'), b: view('U0*0.5', 'U1'), c: view('U0*0.5', 'U2') });
      const requests = cold('-r-r-r', { r: request() });
      const { views, outcomes } = inputs(clusters);
      expectObservable(requests.pipe(leastLoaded(views, { outcomes }), chosen)).toBe('-0-1-0');
    });
  });
});
