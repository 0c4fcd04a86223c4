import { expect } from 'chai';
import { concatMap, map, pairwise, startWith, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { leastLoaded } from '../../../lib/balancer/strategies/least-loaded.js';
import type { GetMessage, Outcome, RouteRequest, Routed } from '../../../lib/balancer/messages.js';
import { proxyState, type ClusterView } from '../../../lib/balancer/view.js';

/** A cluster as a spec sets it up: the view the strategy reads, and each proxy's requests in flight. */
interface Cluster {
  readonly view: ClusterView;
  readonly loads: readonly number[];
}

/** A cluster from one entry per proxy: U or D for up or down, its requests in flight, and an optional weight ('U3', 'U3*0.5'). */
function view(...proxies: string[]): Cluster {
  const parsed = proxies.map((p, id) => {
    const [load, weight] = p.slice(1).split('*');
    return {
      state: {
        ...proxyState(id, `127.0.0.1:${8001 + id}`),
        healthy: p[0] === 'U',
        reason: p[0] === 'U' ? null : 'probe timeout',
        weight: weight === undefined ? 1 : Number(weight),
      },
      load: Number(load),
    };
  });
  return { view: { proxies: parsed.map((p) => p.state) }, loads: parsed.map((p) => p.load) };
}

/** The outcomes that take each proxy's load from `before` to `after`: a send per request more, an answer per request fewer. */
function loadChanges(before: readonly number[], after: readonly number[]): Outcome[] {
  const changes: Outcome[] = [];
  for (let proxy = 0; proxy < Math.max(before.length, after.length); proxy++) {
    const delta = (after[proxy] ?? 0) - (before[proxy] ?? 0);
    for (let n = 0; n < Math.abs(delta); n++) changes.push(delta > 0 ? { kind: 'sent', proxy } : { kind: 'answered', proxy });
  }
  return changes;
}

/**
 * The strategy's inputs for a timeline of clusters: their views, and the outcomes that bring the
 * load the strategy counts to each cluster's loads when it comes. The load is not in the view: the
 * strategy counts it from outcomes alone, and since nothing here reports the requests it routes,
 * its count stays at what the timeline says.
 */
function inputs(clusters: Observable<Cluster>): { views: Observable<ClusterView>; outcomes: Observable<Outcome> } {
  return {
    views: clusters.pipe(map((c) => c.view)),
    outcomes: clusters.pipe(
      map((c) => c.loads),
      startWith<readonly number[]>([]),
      pairwise(),
      concatMap(([before, after]) => loadChanges(before, after)),
    ),
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
