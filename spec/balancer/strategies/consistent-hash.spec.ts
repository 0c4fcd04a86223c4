import { expect } from 'chai';
import { BehaviorSubject, EMPTY, Subject, concatMap, interval, map, merge, take, tap, toArray, type MonoTypeOperatorFunction, type Observable, type OperatorFunction } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { consistentHash } from '../../../lib/balancer/strategies/consistent-hash.js';
import type { StrategyContext } from '../../../lib/balancer/strategies/strategy.js';
import type { Outcome, RouteRequest, Routed } from '../../../lib/balancer/messages.js';
import type { ProxyState } from '../../../lib/balancer/view.js';
import { chosen, inputs, requestFor, view, viewOf, type Cluster } from './clusters.js';

const ADDRESSES = ['127.0.0.1:8001', '127.0.0.1:8002', '127.0.0.1:8003'];

const keys = (n: number, prefix = 'article/') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

/**
 * A context whose proxies answer each request as soon as it is routed, and the operator that
 * does the answering: without answers the strategy keeps every key with its first proxy. Each
 * routed request is reported sent, as the forwarder does, and then answered, so it leaves the load
 * as it was; the outcomes already in `context` (a preset load) still come through.
 */
function answered(context: Partial<StrategyContext>): { context: Partial<StrategyContext>; answer: MonoTypeOperatorFunction<Routed> } {
  const answers = new Subject<Outcome>();
  return {
    context: { ...context, outcomes: merge(context.outcomes ?? EMPTY, answers) },
    answer: tap((r: Routed) => {
      if (r.proxy === undefined) return;
      answers.next({ kind: 'sent', proxy: r.proxy });
      answers.next({ kind: 'answered', proxy: r.proxy, key: r.message.request.key });
    }),
  };
}

/** consistent_hash over a timeline of clusters, with every request answered as soon as it is routed. */
function answeredBy(clusters: Observable<Cluster>, context: Partial<StrategyContext>): OperatorFunction<RouteRequest, Routed> {
  const { views, outcomes } = inputs(clusters);
  const a = answered({ ...context, outcomes });
  return (routes) => routes.pipe(consistentHash(views, a.context), a.answer);
}

/**
 * A context in which each routed request is reported sent, as the forwarder does, and never
 * answered: its key's requests and its proxy's load pile up.
 */
function sentOnly(context: Partial<StrategyContext>): { context: Partial<StrategyContext>; send: MonoTypeOperatorFunction<Routed> } {
  const sends = new Subject<Outcome>();
  return {
    context: { ...context, outcomes: merge(context.outcomes ?? EMPTY, sends) },
    send: tap((r: Routed) => r.proxy !== undefined && sends.next({ kind: 'sent', proxy: r.proxy })),
  };
}

function newScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => {
    expect(actual).to.deep.equal(expected);
  });
}

/**
 * Routes every key once per cluster through one strategy instance on virtual time: cluster i comes
 * at frame 2i and the keys at 2i + 1. Returns, per cluster, the chosen proxy of each key in key order.
 */
function routeBatches(clusters: Cluster[], batch: readonly string[], context: Partial<StrategyContext> = {}, tried: number[][] = []): (number | undefined)[][] {
  const scheduler = newScheduler();
  const letters = clusters.map((_, i) => String.fromCharCode(97 + i));
  const byLetter = Object.fromEntries(letters.map((l, i) => [l, clusters[i]!]));
  const batches = Object.fromEntries(letters.map((l) => [l, batch]));
  let result: (number | undefined)[][] = [];
  scheduler.run(({ cold, hot }) => {
    const clusters$ = hot(letters.join('-'), byLetter);
    cold(`-${letters.join('-')}|`, batches)
      .pipe(
        concatMap((ks) => ks.map((k, i) => requestFor(k, tried[i] ?? []))),
        answeredBy(clusters$, { clock: scheduler, ...context }),
        map((r) => r.proxy),
        toArray(),
      )
      .subscribe((all) => {
        result = clusters.map((_, i) => all.slice(i * batch.length, (i + 1) * batch.length));
      });
  });
  return result;
}

function routeKeys(v: Cluster, batch: readonly string[], context: Partial<StrategyContext> = {}): (number | undefined)[] {
  return routeBatches([v], batch, context)[0]!;
}

/** Each key's proxies best first, as the strategy ranks them on an idle cluster: by retrying with the better ones tried. */
function rankings(v: Cluster, batch: readonly string[]): number[][] {
  const ranks: number[][] = batch.map(() => []);
  for (let level = 0; level < v.view.proxies.length; level++) {
    const next = routeBatches([v], batch, {}, ranks)[0]!;
    next.forEach((p, i) => ranks[i]!.push(p!));
  }
  return ranks;
}

function shares(routed: (number | undefined)[], size: number): number[] {
  const counts = new Array<number>(size).fill(0);
  for (const p of routed) counts[p!]!++;
  return counts.map((n) => n / routed.length);
}

describe('consistent_hash', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = newScheduler();
  });

  it('never moves a key that is not hot, however uneven the load: each stays with its owner', () => {
    const batch = keys(1000);
    const owners = routeKeys(view('U0', 'U0', 'U0'), batch);
    // Proxy 0 at 30 in flight and the others idle: far over any bound, but no key is hot.
    expect(routeKeys(view('U30', 'U0', 'U0'), batch)).to.deep.equal(owners);
    expect(routeKeys(view('U2', 'U0', 'U1'), batch)).to.deep.equal(owners);
  });

  it('keeps a key below the hot threshold with its owner while its requests pile up on an overloaded owner', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      // "hot" ranks 0, 1, 2; proxy 0 is far over the bound from the start. Each request is reported
      // sent; only the first is answered (frame 3), so the key then has 1, 2 and 3 in flight.
      const clusters = hot(' v', { v: view('U9', 'U0', 'U0') });
      const answers = cold<Outcome>('---o', { o: { kind: 'answered', proxy: 0, key: 'hot' } });
      const requests = cold('-rr--r-r', { r: requestFor('hot') });
      const { views, outcomes } = inputs(clusters);
      const s = sentOnly({ clock: scheduler, outcomes: merge(outcomes, answers), hashHotThreshold: 4 });
      expectObservable(requests.pipe(consistentHash(views, s.context), s.send, chosen)).toBe('-00--0-0');
    });
  });

  it("sends a cold key's next requests to the proxy fetching it, even when its owner changed, until that proxy answers", () => {
    // A key owned by proxy 2: while 2 is removed it goes to its second-ranked proxy.
    const batch = keys(100);
    const i = routeKeys(view('U0', 'U0', 'U0'), batch).indexOf(2);
    const key = batch[i]!;
    const second = routeKeys(view('U0', 'U0', 'R0'), batch)[i]!;
    scheduler.run(({ cold, hot, expectObservable }) => {
      // Proxy 2 comes back at frame 2; the key's first request, at frame 1, is answered at frame 6.
      const clusters = hot(' a-b', { a: view('U0', 'U0', 'R0'), b: view('U0', 'U0', 'U0') });
      const answers = cold<Outcome>('------o', { o: { kind: 'answered', proxy: second, key } });
      const requests = cold('-r-r-r-r', { r: requestFor(key) });
      const { views, outcomes } = inputs(clusters);
      expectObservable(requests.pipe(consistentHash(views, { clock: scheduler, outcomes: merge(outcomes, answers) }), chosen)).toBe(`-${second}-${second}-${second}-2`);
    });
  });

  it('spills a hot key over its bound to the next-ranked proxy, naming its owner as fill, once its first request is answered', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      // "hot" ranks 0, 1, 2. The first request is answered at frame 4, no other. Until then the
      // second joins it; the third is not hot (1 in flight); from the fourth it is (2 in flight).
      // The bound is ceil(1.25 * (total + 1) / 3): at the fourth 2, so 0 (at 2) spills to 1; at the
      // fifth 2 again, 1 (at 1) takes it; at the sixth 3, and 0 has room again.
      const clusters = hot(' v', { v: view('U0', 'U0', 'U0') });
      const answers = cold<Outcome>('----o', { o: { kind: 'answered', proxy: 0, key: 'hot' } });
      const requests = cold('-r-r-r-r-r-r', { r: requestFor('hot') });
      const { views, outcomes } = inputs(clusters);
      const s = sentOnly({ clock: scheduler, outcomes: merge(outcomes, answers), hashHotThreshold: 2 });
      const where = map((r: Routed) => (r.fill === undefined ? String(r.proxy) : `${r.proxy}<${r.fill}`));
      expectObservable(requests.pipe(consistentHash(views, s.context), s.send, where)).toBe('-a-a-a-b-b-a', { a: '0', b: '1<0' });
    });
  });

  it('sends every request for a key to the proxy its first went to until that proxy answers it, hot or not', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      // Twenty requests, none answered: the key is hot from the third and proxy 0 far over the bound.
      const clusters = hot(' v', { v: view('U0', 'U0', 'U0') });
      const requests = cold(`-${'r'.repeat(20)}`, { r: requestFor('hot') });
      const { views, outcomes } = inputs(clusters);
      const s = sentOnly({ clock: scheduler, outcomes, hashHotThreshold: 2 });
      expectObservable(requests.pipe(consistentHash(views, s.context), s.send, chosen)).toBe(`-${'0'.repeat(20)}`);
    });
  });

  it('sends the same key to the same proxy every time', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      const clusters = hot(' v', { v: view('U0', 'U0', 'U0') });
      const requests = cold('-a-b-c-a-b-c-a', { a: requestFor('hot'), b: requestFor('article/1'), c: requestFor('user/42') });
      // Fixed across processes and versions: the hashes of key and address decide, nothing else.
      expectObservable(requests.pipe(answeredBy(clusters, { clock: scheduler }), chosen)).toBe('-0-1-2-0-1-2-0');
    });
  });

  it('spreads 3000 keys over 3 proxies, each taking between 25% and 42%', () => {
    const spread = shares(routeKeys(view('U0', 'U0', 'U0'), keys(3000)), 3);
    for (const share of spread) expect(share).to.be.within(0.25, 0.42);
  });

  it('moves only the keys of a removed proxy, and gives them back when it is added again', () => {
    const batch = keys(1000);
    for (let gone = 0; gone < 3; gone++) {
      const full = view('U0', 'U0', 'U0');
      const without = view(...['U0', 'U0', 'U0'].map((p, id) => (id === gone ? 'R0' : p)));
      const [before, during, after] = routeBatches([full, without, full], batch);
      const stayed = batch.filter((_, i) => before![i] !== gone && during![i] === before![i]).length;
      const onGone = before!.filter((p) => p === gone).length;
      expect(stayed, `removing ${gone}`).to.equal(batch.length - onGone);
      expect(during!.filter((p) => p === gone || p === undefined), `removing ${gone}`).to.deep.equal([]);
      expect(onGone, `removing ${gone}`).to.be.greaterThan(0);
      expect(after, `adding ${gone} back`).to.deep.equal(before);
    }
  });

  it('hands the keys of a proxy that may not take requests (down, ejected, draining) to the same proxies as if it were removed', () => {
    const batch = keys(1000);
    const removed = routeKeys(view('U0', 'R0', 'U0'), batch);
    for (const state of ['D0', 'E0', 'N0']) expect(routeKeys(view('U0', state, 'U0'), batch), state).to.deep.equal(removed);
  });

  it('keeps routing by key when no proxy is available (panic mode)', () => {
    const batch = keys(1000);
    expect(routeKeys(view('D0', 'E0', 'D0'), batch)).to.deep.equal(routeKeys(view('U0', 'U0', 'U0'), batch));
  });

  it('chooses alike in two independent instances given the same addresses, even listed in another order', () => {
    const batch = keys(3000);
    const idle = ['U0', 'U0', 'U0'];
    const one = routeKeys(viewOf(ADDRESSES, idle), batch);
    const two = routeKeys(viewOf(ADDRESSES, idle), batch);
    expect(two).to.deep.equal(one);
    const reversed = [...ADDRESSES].reverse();
    const three = routeKeys(viewOf(reversed, idle), batch);
    expect(three.map((p) => reversed[p!])).to.deep.equal(one.map((p) => ADDRESSES[p!]));
  });

  it('sends a retry to the next-ranked proxy: where the key would go with the tried ones gone', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      // article/1 ranks 1, 0, 2.
      const clusters = hot(' v', { v: view('U0', 'U0', 'U0') });
      const requests = cold('-a-b-c-d', {
        a: requestFor('article/1'),
        b: requestFor('article/1', [1]),
        c: requestFor('article/1', [1, 0]),
        d: requestFor('article/1', [1, 0, 2]),
      });
      expectObservable(requests.pipe(answeredBy(clusters, { clock: scheduler }), chosen)).toBe('-1-0-2-x');
    });
    const batch = keys(1000);
    const first = routeKeys(view('U0', 'U0', 'U0'), batch);
    const retried = routeBatches([view('U0', 'U0', 'U0')], batch, {}, first.map((p) => [p!]))[0]!;
    const without = [0, 1, 2].map((gone) => routeKeys(view(...[0, 1, 2].map((id) => (id === gone ? 'R0' : 'U0'))), batch));
    const withoutFirst = first.map((p, i) => without[p!]![i]);
    expect(retried).to.deep.equal(withoutFirst);
    expect(retried.filter((p, i) => p === first[i])).to.deep.equal([]);
  });

  it('with a hot threshold of 0 (any key may spill), spills to the next-ranked proxy over the bound and returns when there is room', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      // "hot" ranks 0, 1, 2. Capacity at factor 125 is ceil(1.25 * (total in flight + 1) / 3):
      // a: 1 (0 fits); b: 1 (0 has 1, spills); c: ceil(2.08) = 3 (0 fits again);
      // d: ceil(4.58) = 5 (0 and 1 are full, 2 takes it); e: 1.
      const clusters = hot(' a-b-c-d-e', {
        a: view('U0', 'U0', 'U0'),
        b: view('U1', 'U0', 'U0'),
        c: view('U2', 'U1', 'U1'),
        d: view('U5', 'U5', 'U0'),
        e: view('U0', 'U0', 'U0'),
      });
      const requests = cold('-k-k-k-k-k', { k: requestFor('hot') });
      expectObservable(requests.pipe(answeredBy(clusters, { clock: scheduler, hashHotThreshold: 0 }), chosen)).toBe('-0-1-0-2-0');
    });
  });

  it('lets a key load its own proxy further before spilling under a higher hash balance factor', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      // At 200: b: ceil(2 * 2 / 3) = 2, so proxy 0 still fits; d: ceil(2 * 11 / 3) = 8.
      const clusters = hot(' a-b-c-d', { a: view('U0', 'U0', 'U0'), b: view('U1', 'U0', 'U0'), c: view('U3', 'U0', 'U0'), d: view('U5', 'U5', 'U0') });
      const requests = cold('-k-k-k-k', { k: requestFor('hot') });
      expectObservable(requests.pipe(answeredBy(clusters, { clock: scheduler, hashBalanceFactor: 200, hashHotThreshold: 0 }), chosen)).toBe('-0-0-1-0');
    });
  });

  describe('bounded loads under sustained traffic with one hot key', () => {
    /** The hot threshold of these runs: the hot key has about 13 requests in flight, each other key less than one. */
    const THRESHOLD = 8;

    /**
     * Half of 600 requests, one a frame, are for one hot key, the rest for 40 others; each is in
     * flight for 20 to 32 frames. Every send and answer is reported on the outcomes, the send right
     * after the choice as the forwarder does, so the strategy counts its own routing as load; the
     * spec keeps its own tally of requests in flight, per proxy and per key, to check every choice:
     * a request joins the proxy the first of its key's requests in flight went to, until that proxy
     * answers the key; else a key with fewer than THRESHOLD in flight goes to its owner, and a hot
     * key to its best-ranked proxy with room, naming its owner as fill when that is not the owner.
     */
    function simulate(weights: number[], factor?: number) {
      const idle = view(...weights.map((w) => `U0*${w}`));
      const keyOf = (i: number) => (i % 2 === 0 ? 'hot' : `key/${i % 40}`);
      const batch = [...new Set(Array.from({ length: 600 }, (_, i) => keyOf(i)))];
      const ranked = new Map(rankings(idle, batch).map((r, i) => [batch[i]!, r]));
      const percent = factor ?? 125;
      const problems: string[] = [];
      const hotProxies = new Set<number>();
      const peak = weights.map(() => 0);
      scheduler.run(() => {
        const proxies = idle.view.proxies;
        // The spec's own counts, independent of the strategy's.
        const inFlight = weights.map(() => 0);
        const keyInFlight = new Map<string, number>();
        const outcomes = new Subject<Outcome>();
        const base = factor === undefined ? { clock: scheduler } : { clock: scheduler, hashBalanceFactor: factor };
        const context = { ...base, hashHotThreshold: THRESHOLD, outcomes };
        // Keys whose first request in flight is unanswered, and where: their next requests join it.
        const fetching = new Map<string, number>();
        interval(1, scheduler)
          .pipe(
            take(600),
            map((i) => requestFor(keyOf(i))),
            // The view never changes (the load lives in the outcomes alone), but like a live view it
            // never completes either.
            consistentHash(new BehaviorSubject(idle.view), context),
            tap((r) => {
              const key = r.message.request.key;
              const at = `${scheduler.now()}: ${key}`;
              const total = inFlight.reduce((sum, n) => sum + n, 0);
              const weightSum = proxies.reduce((sum, p) => sum + p.weight, 0);
              const capacity = (p: ProxyState) => Math.ceil(((percent / 100) * (total + 1) * p.weight) / weightSum);
              const hasRoom = (p: ProxyState) => inFlight[p.id]! + 1 <= capacity(p);
              const to = proxies[r.proxy!]!;
              const owner = ranked.get(key)![0]!;
              const inFlightForKey = keyInFlight.get(key) ?? 0;
              if (inFlightForKey === 0) fetching.set(key, to.id);
              const joined = fetching.get(key);
              if (joined !== undefined || inFlightForKey < THRESHOLD) {
                const expected = joined ?? owner;
                if (to.id !== expected || r.fill !== undefined) problems.push(`${at} (cold) went to ${to.id} (fill ${r.fill}), not ${expected}`);
              } else {
                if (!hasRoom(to) && proxies.some(hasRoom)) problems.push(`${at} over the bound on ${to.id}`);
                const best = ranked.get(key)!.find((id) => hasRoom(proxies[id]!)) ?? owner;
                if (best !== to.id) problems.push(`${at} went to ${to.id}, not ${best}`);
                if (r.fill !== (to.id === owner ? undefined : owner)) problems.push(`${at} went to ${to.id} with fill ${r.fill}`);
              }
              if (key === 'hot') hotProxies.add(to.id);
              inFlight[to.id]!++;
              keyInFlight.set(key, (keyInFlight.get(key) ?? 0) + 1);
              outcomes.next({ kind: 'sent', proxy: to.id });
              peak[to.id] = Math.max(peak[to.id]!, inFlight[to.id]!);
              scheduler.schedule(() => {
                inFlight[to.id]!--;
                keyInFlight.set(key, keyInFlight.get(key)! - 1);
                if (fetching.get(key) === to.id) fetching.delete(key);
                outcomes.next({ kind: 'answered', proxy: to.id, key });
              }, 20 + ((scheduler.now() * 7) % 13));
            }),
          )
          .subscribe();
      });
      return { problems, hotProxies, peak };
    }

    it('keeps every cold key with its owner, and never puts a hot one over ceil(1.25 * (total + 1) / N) while another proxy has room (default factor)', () => {
      const { problems, hotProxies } = simulate([1, 1, 1]);
      expect(problems).to.deep.equal([]);
      expect(hotProxies.size).to.be.greaterThan(1);
    });

    it('holds the bound of the configured factor', () => {
      const { problems, hotProxies } = simulate([1, 1, 1], 150);
      expect(problems).to.deep.equal([]);
      expect(hotProxies.size).to.be.greaterThan(1);
    });

    it('bounds a ramping proxy by its weight', () => {
      const { problems, peak } = simulate([1, 0.25, 1]);
      expect(problems).to.deep.equal([]);
      expect(peak[1]).to.be.lessThan(peak[0]!);
      expect(peak[1]).to.be.lessThan(peak[2]!);
    });
  });

  it('routes without a cursor: it takes no turns, so it has no position to report', () => {
    newScheduler().run(({ cold, hot, expectObservable }) => {
      const r = requestFor('article/1');
      const { views, outcomes } = inputs(hot('v', { v: view('U0', 'U0', 'U0') }));
      const routed = cold('-r', { r }).pipe(consistentHash(views, { outcomes }), map((o) => ('cursor' in o ? 'cursor' : 'none')));
      expectObservable(routed).toBe('-n', { n: 'none' });
    });
  });

  describe('weights', () => {
    it('gives a proxy at weight 0.1 about 0.1 / 2.1 of the keys, the rest evenly to the others', () => {
      const spread = shares(routeKeys(view('U0*0.1', 'U0', 'U0'), keys(10_000)), 3);
      expect(spread[0]).to.be.within(0.04, 0.056);
      expect(spread[1]).to.be.within(0.44, 0.52);
      expect(spread[2]).to.be.within(0.44, 0.52);
    });

    it("moves keys only onto a proxy as its weight ramps up, never between the others", () => {
      const batch = keys(3000);
      const steps = [0.1, 0.325, 0.55, 0.775, 1].map((w) => routeKeys(view(`U0*${w}`, 'U0', 'U0'), batch));
      for (let s = 1; s < steps.length; s++) {
        const moved = batch.map((_, i) => i).filter((i) => steps[s]![i] !== steps[s - 1]![i]);
        expect(moved.filter((i) => steps[s]![i] !== 0), `step ${s}`).to.deep.equal([]);
        expect(moved.length, `step ${s}`).to.be.greaterThan(0);
      }
    });
  });
});
