import { expect } from 'chai';
import { concatMap, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { p2c } from '../../../lib/balancer/strategies/p2c.js';
import { chosen, inputs, request, seeded, sequentialCounts, view, type Cluster } from './clusters.js';

/** A random source that returns the given draws in turn, over and over. */
function draws(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}


/** Just below 1: the largest draw a uniform [0, 1) source can give. */
const TOP = 1 - Number.EPSILON;

describe('p2c', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  /** Routes one fresh request against a fixed cluster with the given draws; the chosen proxy. */
  const routeOnce = (v: Cluster, random: () => number): string => {
    let choice = '';
    scheduler.run(({ cold, hot }) => {
      const { views, outcomes } = inputs(hot('v', { v }));
      cold('-r', { r: request() })
        .pipe(p2c(views, { clock: scheduler, outcomes, random }), chosen)
        .subscribe((c) => (choice = c));
    });
    return choice;
  };

  it('picks the less loaded of the two proxies drawn', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      const clusters = hot(' v', { v: view('U5', 'U1', 'U3') });
      const requests = cold('-r-r-r', { r: request() });
      const { views, outcomes } = inputs(clusters);
      // Draws (0, 1): first 0 then 1 with 0 skipped; (0, 2); (1, 2).
      const random = draws(0, 0, 0, TOP, 0.5, 0);
      expectObservable(requests.pipe(p2c(views, { clock: scheduler, outcomes, random }), chosen)).toBe('-1-2-1');
    });
  });

  it('picks between the two drawn only, even when a third is idler', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      const clusters = hot(' v', { v: view('U4', 'U0', 'U2') });
      const requests = cold('-r', { r: request() });
      const { views, outcomes } = inputs(clusters);
      expectObservable(requests.pipe(p2c(views, { clock: scheduler, outcomes, random: draws(0, TOP) }), chosen)).toBe('-2');
    });
  });

  it('keeps the first drawn on equal load', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      const clusters = hot(' v', { v: view('U2', 'U2', 'U2') });
      const requests = cold('-r-r-r', { r: request() });
      const { views, outcomes } = inputs(clusters);
      const random = draws(0, 0, 0.5, 0, TOP, 0);
      expectObservable(requests.pipe(p2c(views, { clock: scheduler, outcomes, random }), chosen)).toBe('-0-1-2');
    });
  });

  it('never draws the same proxy twice as the pair, whatever the draws', () => {
    // A pair drawn twice from one proxy would choose it however loaded it is.
    const grid = [0, 0.1, 0.25, 1 / 3, 0.5, 2 / 3, 0.75, 0.9, TOP];
    const seen: string[] = [];
    for (let size = 2; size <= 5; size++) {
      for (let busy = 0; busy < size; busy++) {
        const loads = Array.from({ length: size }, (_, id) => (id === busy ? 'U9' : 'U0'));
        for (const a of grid) for (const b of grid) if (routeOnce(view(...loads), draws(a, b)) === String(busy)) seen.push(`${size}/${busy}/${a}/${b}`);
      }
    }
    expect(seen).to.deep.equal([]);
  });

  it('draws every pair of proxies for some draws', () => {
    const grid = [0, 0.2, 0.4, 0.6, 0.8, TOP];
    const pairs = new Set<string>();
    for (let first = 0; first < 4; first++) {
      for (let other = 0; other < 4; other++) {
        if (other === first) continue;
        // Only the pair's members are idle: the choice reveals the pair.
        for (const a of grid) for (const b of grid) {
          const loads = ['U9', 'U9', 'U9', 'U9'];
          loads[first] = 'U1';
          loads[other] = 'U0';
          if (routeOnce(view(...loads), draws(a, b)) === String(other)) pairs.add([first, other].sort().join('-'));
        }
      }
    }
    expect([...pairs].sort()).to.deep.equal(['0-1', '0-2', '0-3', '1-2', '1-3', '2-3']);
  });

  it('sends to the only candidate when there is one', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      const clusters = hot(' v', { v: view('D0', 'U9', 'D0') });
      const requests = cold('-r-r-r', { r: request() });
      const { views, outcomes } = inputs(clusters);
      const random = draws(0, 0.5, TOP);
      expectObservable(requests.pipe(p2c(views, { clock: scheduler, outcomes, random }), chosen)).toBe('-1-1-1');
    });
  });

  it('compares load per unit of weight: a ramping proxy counts as busier', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      // 1 in flight at weight 0.25 is 4 per unit, more than 2 at full weight.
      const clusters = hot(' v', { v: view('U2', 'U1*0.25') });
      const requests = cold('-r-r', { r: request() });
      const { views, outcomes } = inputs(clusters);
      expectObservable(requests.pipe(p2c(views, { clock: scheduler, outcomes, random: draws(0, 0, TOP, 0) }), chosen)).toBe('-0-0');
    });
  });

  it('draws only among proxies that may take the request: not down, not tried', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      const clusters = hot(' v', { v: view('U0', 'D0', 'U5', 'U7') });
      const requests = cold('-a-b-c', { a: request([0]), b: request([0, 2]), c: request([0, 2, 3]) });
      const { views, outcomes } = inputs(clusters);
      // Retry a: candidates 2 and 3, the less loaded is 2; b: only 3 is left; c: none.
      const random = draws(0, 0);
      expectObservable(requests.pipe(p2c(views, { clock: scheduler, outcomes, random }), chosen)).toBe('-2-3-x');
    });
  });

  it('routes without a cursor: it takes no turns, so it has no position to report', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      const r = request();
      const { views, outcomes } = inputs(hot('v', { v: view('U0', 'U1') }));
      expectObservable(cold('-r', { r }).pipe(p2c(views, { clock: scheduler, outcomes, random: draws(0, 0) }))).toBe('-o', {
        o: { message: r.message, tried: [], proxy: 0 },
      });
    });
  });

  it('spreads an idle cluster evenly with a uniform random source', () => {
    // A fixed linear congruential source: the same draws on every run.
    let seed = 12345;
    const random = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
    let counts: number[] = [];
    scheduler.run(({ cold, hot }) => {
      const { views, outcomes } = inputs(hot('v', { v: view('U0', 'U0', 'U0') }));
      cold('-(r|)', { r: 3000 })
        .pipe(
          concatMap((n) => Array.from({ length: n }, () => request())),
          p2c(views, { clock: scheduler, outcomes, random }),
          toArray(),
        )
        .subscribe((routed) => (counts = [0, 1, 2].map((id) => routed.filter((r) => r.proxy === id).length)));
    });
    expect(counts).to.have.length(3);
    for (const n of counts) expect(n).to.be.within(900, 1100);
  });

  describe('weights (slow start) when requests do not overlap', () => {
    // Every proxy has 0 in flight at every choice, so in-flight load per unit of weight is 0 for
    // all, and without the ledger the first drawn would win: a third each. The ledger (load.ts)
    // gives the ramping proxy weight / sum of weights of each request and takes one for each it
    // gets, within one request either way, so over N requests it gets N * share, +-1; it could
    // lose share only by going undrawn for 1 / share requests in a row while owed.
    for (const weight of [0.1, 0.5]) {
      it(`gives a proxy at weight ${weight} its share ${weight} / ${2 + weight} of 2100 requests, give or take one`, () => {
        const counts = sequentialCounts(scheduler, p2c, view('U0', 'U0', `U0*${weight}`), 2100, { random: seeded(12345) });
        const expected = (2100 * weight) / (2 + weight);
        expect(counts[2]).to.be.within(expected - 1, expected + 1);
      });
    }

    it('gives an owed ramping proxy the tie when drawn second', () => {
      scheduler.run(({ cold, hot, expectObservable }) => {
        // Both idle; the first request goes to 0 (drawn first, nothing owed yet), which leaves
        // 1 owed 1/3 of a request: drawn second on the next tie, it wins.
        const { views, outcomes } = inputs(hot('v', { v: view('U0', 'U0*0.5') }));
        const requests = cold('-r-r', { r: request() });
        expectObservable(requests.pipe(p2c(views, { clock: scheduler, outcomes, random: draws(0, 0) }), chosen)).toBe('-0-1');
      });
    });
  });
});
