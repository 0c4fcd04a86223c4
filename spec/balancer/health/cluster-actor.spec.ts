import { expect } from 'chai';
import { EMPTY, NEVER, concatAll, distinctUntilChanged, map, of, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { clusterActor, type ClusterInput, type ClusterOptions, type ProbePort } from '../../../lib/balancer/health/cluster-actor.js';
import type { LinkFailure } from '../../../lib/net/upstream.js';
import type { ProbeResult } from '../../../lib/balancer/messages.js';
import { initialView, type ClusterView, type ProxyState } from '../../../lib/balancer/view.js';

const ONE = ['127.0.0.1:8001'];
const TWO = ['127.0.0.1:8001', '127.0.0.1:8002'];

/** Probes every 10 frames, each timing out after 4; down after 3 failures, up after 2 good probes. */
const policy = { interval: 10, timeout: 4, fall: 3, rise: 2 };

/** Each proxy's n-th probe gets the n-th observable of its script; the last one repeats. */
function scripted(...scripts: Observable<ProbeResult>[][]): ProbePort {
  const calls = scripts.map(() => 0);
  return (proxy) => {
    const script = scripts[proxy]!;
    return script[Math.min(calls[proxy]!++, script.length - 1)]!;
  };
}

/** One word per proxy: `up`, or `down: <reason>`. */
const health = (view: ClusterView) => view.proxies.map((p) => (p.healthy ? 'up' : `down: ${p.reason}`)).join(', ');

const sent = (proxy: number): ClusterInput => ({ kind: 'sent', proxy });
const answered = (proxy: number): ClusterInput => ({ kind: 'answered', proxy });
const failed = (proxy: number, failure: LinkFailure = 'reset'): ClusterInput => ({ kind: 'failed', proxy, failure });

/** Probes that every proxy answers well at once. */
const healthy: ProbePort = (proxy) => of<ProbeResult>({ proxy, ok: true, metrics: {} });

/** A weight as the spec writes it: the ramp's steps are exact to four places. */
const weight = (p: ProxyState) => Math.round(p.weight * 10_000) / 10_000;

describe('cluster actor', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  /** Starts the actor on the test scheduler with `policy` unless told otherwise. */
  const start = (options: Pick<ClusterOptions, 'addresses' | 'probe'> & Partial<ClusterOptions>, inputs: Observable<ClusterInput> = EMPTY) =>
    clusterActor({ ...policy, ...options })(inputs, scheduler);

  it('starts from a view with every proxy up, active, at full weight, never ejected and without metrics', () => {
    scheduler.run(({ expectObservable }) => {
      const views = start({ addresses: TWO, probe: () => EMPTY, slowStart: 40 });
      // No load field: the load is counted by each actor from the outcomes, not carried in the view.
      const fresh = { healthy: true, reason: null, metrics: null, weight: 1, ejected: false, ejections: 0, membership: 'active' };
      expectObservable(views, '^ 5ms !').toBe('v', {
        v: {
          proxies: [
            { id: 0, address: '127.0.0.1:8001', ...fresh },
            { id: 1, address: '127.0.0.1:8002', ...fresh },
          ],
        },
      });
    });
  });

  it('runs probes and their timeouts on the injected clock alone', () => {
    // Outside run mode nothing else is virtual: a real timer anywhere would leave the proxy up.
    const clock = new TestScheduler(() => undefined);
    clock.maxFrames = 40;
    const seen: string[] = [];
    const actor = clusterActor({ ...policy, addresses: ONE, probe: () => NEVER });
    const running = actor(EMPTY, clock).subscribe((v) => seen.push(health(v)));
    clock.flush();
    running.unsubscribe();
    expect(seen).to.include('down: probe timeout');
  });

  it('marks a silent proxy down when its fall-th probe times out', () => {
    scheduler.run(({ cold, expectObservable }) => {
      // Probes go out at 10, 20 and 30; each times out 4 frames later.
      const silent = cold<ProbeResult>('-');
      const views = start({ addresses: ONE, probe: scripted([silent]) });
      expectObservable(views.pipe(map(health), distinctUntilChanged()), '^ 99ms !').toBe('u 33ms d', {
        u: 'up',
        d: 'down: probe timeout',
      });
    });
  });

  it('counts a probe answered after the timeout as failed', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const late = cold<ProbeResult>('-----r|', { r: { proxy: 0, ok: true, metrics: {} } });
      const views = start({ addresses: ONE, probe: scripted([late]) });
      expectObservable(views.pipe(map(health), distinctUntilChanged()), '^ 99ms !').toBe('u 33ms d', {
        u: 'up',
        d: 'down: probe timeout',
      });
    });
  });

  it('counts a probe that errors as failed, as soon as it errors', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const broken = cold<ProbeResult>('-#');
      const views = start({ addresses: ONE, probe: scripted([broken]) });
      expectObservable(views.pipe(map(health), distinctUntilChanged()), '^ 99ms !').toBe('u 30ms d', {
        u: 'up',
        d: 'down: probe error',
      });
    });
  });

  it('keeps probing when a probe answers within subscribe, as one on a closed link does', () => {
    scheduler.run(({ expectObservable }) => {
      const closed: ProbePort = (proxy) => of<ProbeResult>({ proxy, ok: false, reason: 'probe closed' });
      const views = start({ addresses: ONE, probe: closed });
      expectObservable(views.pipe(map(health), distinctUntilChanged()), '^ 99ms !').toBe('u 29ms d', {
        u: 'up',
        d: 'down: probe closed',
      });
    });
  });

  it('counts a probe that reports failure as failed, with its reason', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const refused = cold<ProbeResult>('--f|', { f: { proxy: 0, ok: false, reason: 'probe refused' } });
      const views = start({ addresses: ONE, probe: scripted([refused]) });
      expectObservable(views.pipe(map(health), distinctUntilChanged()), '^ 99ms !').toBe('u 31ms d', {
        u: 'up',
        d: 'down: probe refused',
      });
    });
  });

  it('brings a proxy back after rise good probes, leaving the other proxy alone', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const silent = cold<ProbeResult>('-');
      const good0 = cold<ProbeResult>('--r|', { r: { proxy: 0, ok: true, metrics: {} } });
      const good1 = cold<ProbeResult>('-r|', { r: { proxy: 1, ok: true, metrics: {} } });
      // Proxy 0: probes at 10, 20, 30 time out (down at 34); probes at 40, 50 answer at 42, 52 (up at 52).
      const probe = scripted([silent, silent, silent, good0], [good1]);
      const views = start({ addresses: TWO, probe });
      expectObservable(views.pipe(map(health), distinctUntilChanged()), '^ 99ms !').toBe('a 33ms b 17ms a', {
        a: 'up, up',
        b: 'down: probe timeout, up',
      });
    });
  });

  it('keeps a proxy up when a good probe breaks its failure streak', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const silent = cold<ProbeResult>('-');
      const good = cold<ProbeResult>('-r|', { r: { proxy: 0, ok: true, metrics: {} } });
      const views = start({ addresses: ONE, probe: scripted([silent, silent, good, silent, silent, good]) });
      expectObservable(views.pipe(map(health), distinctUntilChanged()), '^ 69ms !').toBe('u', { u: 'up' });
    });
  });

  it('probes each proxy on its own, so a silent proxy never delays another', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const silent = cold<ProbeResult>('-');
      const report = (n: number) => cold<ProbeResult>('-r|', { r: { proxy: 1, ok: true, metrics: { total_requests: n } } });
      const probe = scripted([silent], [report(1), report(2), report(3)]);
      const metrics = start({ addresses: TWO, probe }).pipe(
        map((view) => view.proxies[1]!.metrics),
        distinctUntilChanged((a, b) => JSON.stringify(a) === JSON.stringify(b)),
      );
      expectObservable(metrics, '^ 35ms !').toBe('n 10ms a 9ms b 9ms c', {
        n: null,
        a: { total_requests: 1 },
        b: { total_requests: 2 },
        c: { total_requests: 3 },
      });
    });
  });

  it('makes no new view for sent or answered traffic to an active proxy', () => {
    scheduler.run(({ hot, expectObservable }) => {
      // Neither changes health, weight, ejection or membership, so a new view would only wake every strategy for nothing.
      const outcomes = hot<ClusterInput>('-s-s-a-a', { s: sent(0), a: answered(0) });
      const views = start({ addresses: TWO, probe: () => EMPTY, interval: 1000 }, outcomes);
      expectObservable(views, '^ 20ms !').toBe('v', { v: initialView(TWO) });
    });
  });

  it('makes a new view for failed traffic, which counts toward fall', () => {
    scheduler.run(({ hot, expectObservable }) => {
      // One reset of three (fall) leaves the proxy up, but its failure streak has changed.
      const outcomes = hot<ClusterInput>('-s-f', { s: sent(0), f: failed(0, 'reset') });
      const views = start({ addresses: ONE, probe: () => EMPTY, interval: 1000 }, outcomes);
      expectObservable(views, '^ 20ms !').toBe('v--v', { v: initialView(ONE) });
    });
  });

  it('holds a request that timed out against no proxy: no fall, no ejection, no view, even with fall and ejection at 1', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const outcomes = hot<ClusterInput>('-s-t-s-t-s-t', { s: sent(0), t: failed(0, 'timeout') });
      const strict = { fall: 1, ejection: { consecutive: 1, baseTime: 100, maxTime: 100 } };
      const views = start({ addresses: ONE, probe: () => EMPTY, interval: 1000, ...strict }, outcomes);
      expectObservable(views, '^ 20ms !').toBe('v', { v: initialView(ONE) });
    });
  });

  it('neither counts a timed-out request toward fall nor lets it break a streak of failures that blame the proxy', () => {
    scheduler.run(({ hot, expectObservable }) => {
      // fall 3: reset, timeout, reset, connect timeout is three in a row, the timeout left out.
      const outcomes = hot<ClusterInput>('-f-t-f-c', { f: failed(0, 'reset'), t: failed(0, 'timeout'), c: failed(0, 'connect_timeout') });
      const views = start({ addresses: ONE, probe: () => EMPTY, interval: 1000 }, outcomes);
      expectObservable(views.pipe(map(health), distinctUntilChanged()), '^ 20ms !').toBe('u------d', {
        u: 'up',
        d: 'down: traffic connect_timeout',
      });
    });
  });

  it('takes a proxy down at once when traffic to it is refused', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const outcomes = hot<ClusterInput>('-s-f', { s: sent(1), f: failed(1, 'refused') });
      const views = start({ addresses: TWO, probe: () => EMPTY, interval: 1000 }, outcomes);
      expectObservable(views.pipe(map(health), distinctUntilChanged()), '^ 20ms !').toBe('a--b', {
        a: 'up, up',
        b: 'up, down: traffic refused',
      });
    });
  });

  it('counts failed traffic and failed probes in one streak toward fall', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      // Traffic fails at 5 and 15, the probe sent at 10 times out at 14: three in a row by 15.
      const silent = cold<ProbeResult>('-');
      const outcomes = hot<ClusterInput>('-(ss)f 9ms f', { s: sent(0), f: failed(0, 'reset') });
      const views = start({ addresses: ONE, probe: scripted([silent]) }, outcomes);
      expectObservable(views.pipe(map(health), distinctUntilChanged()), '^ 20ms !').toBe('u 14ms d', {
        u: 'up',
        d: 'down: traffic reset',
      });
    });
  });

  describe('answered forwards and fall', () => {
    /** Inputs from a marble whose values are lists of inputs at one frame. */
    const inputs = (marbles: Observable<ClusterInput[]>): Observable<ClusterInput> => marbles.pipe(concatAll());
    const ok = [sent(0), answered(0)];
    const bad = [sent(0), failed(0, 'garbage')];

    it('keeps a proxy up through ok, ok, fail three times over with fall 3', () => {
      scheduler.run(({ hot, expectObservable }) => {
        const traffic = inputs(hot('-aafaafaaf', { a: ok, f: bad }));
        const views = start({ addresses: ONE, probe: () => EMPTY, interval: 1000 }, traffic);
        expectObservable(views.pipe(map(health), distinctUntilChanged()), '^ 20ms !').toBe('u', { u: 'up' });
      });
    });

    it('takes it down on the third failure in a row, answers before it or not', () => {
      scheduler.run(({ hot, expectObservable }) => {
        const traffic = inputs(hot('-aafff', { a: ok, f: bad }));
        const views = start({ addresses: ONE, probe: () => EMPTY, interval: 1000 }, traffic);
        expectObservable(views.pipe(map(health), distinctUntilChanged()), '^ 20ms !').toBe('u----d', { u: 'up', d: 'down: traffic garbage' });
      });
    });

    it('makes no view for an answer that breaks a streak: only the failures make one', () => {
      scheduler.run(({ hot, expectObservable }) => {
        const traffic = inputs(hot('-f-a-a-f', { a: ok, f: bad }));
        const views = start({ addresses: ONE, probe: () => EMPTY, interval: 1000 }, traffic);
        expectObservable(views, '^ 20ms !').toBe('vv-----v', { v: initialView(ONE) });
      });
    });

    it('leaves failed probes in the count: a failed probe, an answer, two failed forwards take the proxy down', () => {
      scheduler.run(({ cold, hot, expectObservable }) => {
        // The probe sent at 10 times out at 14; traffic is answered at 15 and fails at 16 and 17.
        const silent = cold<ProbeResult>('-');
        const traffic = inputs(hot('15ms aff', { a: ok, f: bad }));
        const views = start({ addresses: ONE, probe: scripted([silent]) }, traffic);
        expectObservable(views.pipe(map(health), distinctUntilChanged()), '^ 19ms !').toBe('u 16ms d', { u: 'up', d: 'down: traffic garbage' });
      });
    });

    it('takes failed forwards out of the count when one is answered, with a failed probe among them', () => {
      scheduler.run(({ cold, hot, expectObservable }) => {
        // Fails at 12, the probe times out at 14, answered at 15, fails at 16: one probe and one forward.
        const silent = cold<ProbeResult>('-');
        const traffic = inputs(hot('12ms f--af', { a: ok, f: bad }));
        const views = start({ addresses: ONE, probe: scripted([silent]) }, traffic);
        expectObservable(views.pipe(map(health), distinctUntilChanged()), '^ 19ms !').toBe('u', { u: 'up' });
      });
    });

    it('never brings a down proxy back by answered traffic: rise good probes do', () => {
      scheduler.run(({ cold, hot, expectObservable }) => {
        // Refused at 1 takes it down; in panic mode it answers at 2..9, which neither brings it back
        // nor counts toward rise (2); the good probes at 10 and 20 bring it back at 20.
        const good = cold<ProbeResult>('r', { r: { proxy: 0, ok: true, metrics: {} } });
        const traffic = inputs(hot('-raaaaaaaa', { r: [sent(0), failed(0, 'refused')], a: ok }));
        const views = start({ addresses: ONE, probe: scripted([good]) }, traffic);
        expectObservable(views.pipe(map(health), distinctUntilChanged()), '^ 35ms !').toBe('ud 18ms u', { u: 'up', d: 'down: traffic refused' });
      });
    });
  });

  it('goes on probing after its inbox completes: the view lives as long as the balancer', () => {
    const calls: number[] = [];
    scheduler.run(({ cold, expectObservable }) => {
      const probe: ProbePort = (proxy) => {
        calls.push(scheduler.now());
        return healthy(proxy);
      };
      const views = start({ addresses: ONE, probe }, cold<ClusterInput>('-|'));
      expectObservable(views.pipe(map(health), distinctUntilChanged()), '^ 35ms !').toBe('u', { u: 'up' });
    });
    expect(calls).to.deep.equal([10, 20, 30]);
  });

  describe('outlier ejection', () => {
    /** Never down through rise/fall here, so only ejection takes a proxy out. */
    const ejecting = { fall: 100, ejection: { consecutive: 3, baseTime: 20, maxTime: 50 } };

    /** Proxy 0 as `in` or `out`, with its ejection count. */
    const ejection = (view: ClusterView) => {
      const p = view.proxies[0]!;
      return `${p.ejected ? 'out' : 'in'} ${p.ejections}`;
    };

    /** Inputs from a marble whose values are lists of inputs at one frame. */
    const inputs = (marbles: Observable<ClusterInput[]>): Observable<ClusterInput> => marbles.pipe(concatAll());

    it('ejects a proxy after `consecutive` failed forwards in a row, saying why', () => {
      scheduler.run(({ hot, expectObservable }) => {
        const traffic = inputs(hot('-f-f-f', { f: [sent(0), failed(0)] }));
        const views = start({ addresses: TWO, probe: healthy, ...ejecting }, traffic);
        const shown = views.pipe(
          map((v) => v.proxies.map((p) => `${p.ejected ? 'out' : 'in'} ${p.ejections} ${p.reason}`).join(', ')),
          distinctUntilChanged(),
        );
        expectObservable(shown, '^ 20ms !').toBe('a 4ms b', {
          a: 'in 0 null, in 0 null',
          b: 'out 1 ejected after 3 consecutive failures, in 0 null',
        });
      });
    });

    it('starts the count again after an answered forward', () => {
      scheduler.run(({ hot, expectObservable }) => {
        const traffic = inputs(hot('-f-f-a-f-f-f', { f: [sent(0), failed(0)], a: [sent(0), answered(0)] }));
        const views = start({ addresses: ONE, probe: healthy, ...ejecting }, traffic);
        expectObservable(views.pipe(map(ejection), distinctUntilChanged()), '^ 20ms !').toBe('a 10ms b', { a: 'in 0', b: 'out 1' });
      });
    });

    it('never ejects without an ejection policy', () => {
      scheduler.run(({ hot, expectObservable }) => {
        const traffic = inputs(hot('-ffffffffff', { f: [sent(0), failed(0)] }));
        const views = start({ addresses: ONE, probe: healthy, fall: 100 }, traffic);
        expectObservable(views.pipe(map(ejection), distinctUntilChanged()), '^ 50ms !').toBe('a', { a: 'in 0' });
      });
    });

    it('takes an ejected proxy back at the tick its ejection ends on', () => {
      scheduler.run(({ hot, expectObservable }) => {
        // Ejected at 5 for 25: back at the tick at 30.
        const traffic = inputs(hot('-f-f-f', { f: [sent(0), failed(0)] }));
        const policy = { ...ejecting, ejection: { ...ejecting.ejection, baseTime: 25 } };
        const views = start({ addresses: ONE, probe: healthy, ...policy }, traffic);
        expectObservable(views.pipe(map(ejection), distinctUntilChanged()), '^ 60ms !').toBe('a 4ms b 24ms c', {
          a: 'in 0',
          b: 'out 1',
          c: 'in 1',
        });
      });
    });

    it('takes an ejected proxy back at the first tick after its ejection ends', () => {
      scheduler.run(({ hot, expectObservable }) => {
        // Ejected at 5 for 26, until 31: back at the tick at 40.
        const traffic = inputs(hot('-f-f-f', { f: [sent(0), failed(0)] }));
        const policy = { ...ejecting, ejection: { ...ejecting.ejection, baseTime: 26 } };
        const views = start({ addresses: ONE, probe: healthy, ...policy }, traffic);
        expectObservable(views.pipe(map(ejection), distinctUntilChanged()), '^ 60ms !').toBe('a 4ms b 34ms c', {
          a: 'in 0',
          b: 'out 1',
          c: 'in 1',
        });
      });
    });

    it('ejects for baseTime, then twice as long, and so on, up to maxTime', () => {
      scheduler.run(({ hot, expectObservable }) => {
        // Ejected at 3 for 20 (back at 30), at 33 for 40 (back at 80), at 83 for 50, not 60 (back at 140),
        // at 143 for 50 again (back at 200).
        const traffic = inputs(hot('-fff 27ms fff 47ms fff 57ms fff', { f: [sent(0), failed(0)] }));
        const views = start({ addresses: ONE, probe: healthy, ...ejecting }, traffic);
        expectObservable(views.pipe(map(ejection), distinctUntilChanged()), '^ 210ms !').toBe(
          'a 2ms b 26ms c 2ms d 46ms e 2ms f 56ms g 2ms h 56ms i',
          { a: 'in 0', b: 'out 1', c: 'in 1', d: 'out 2', e: 'in 2', f: 'out 3', g: 'in 3', h: 'out 4', i: 'in 4' },
        );
      });
    });

    it('ramps a proxy back in under slow start when its ejection ends', () => {
      scheduler.run(({ hot, expectObservable }) => {
        // Ejected at 5 until 25; back at 30 at 10%, then 9 points of weight more each 4 ms, stepped at each tick.
        const traffic = inputs(hot('-f-f-f', { f: [sent(0), failed(0)] }));
        const views = start({ addresses: ONE, probe: healthy, ...ejecting, slowStart: 40 }, traffic);
        const shown = views.pipe(
          map((v) => `${ejection(v)} ${weight(v.proxies[0]!)}`),
          distinctUntilChanged(),
        );
        expectObservable(shown, '^ 80ms !').toBe('a 4ms b 24ms c 9ms d 9ms e 9ms f 9ms g', {
          a: 'in 0 1',
          b: 'out 1 1',
          c: 'in 1 0.1',
          d: 'in 1 0.325',
          e: 'in 1 0.55',
          f: 'in 1 0.775',
          g: 'in 1 1',
        });
      });
    });
  });

  describe('slow start', () => {
    /** Proxy 0's health and weight. */
    const ramp = (view: ClusterView) => {
      const p = view.proxies[0]!;
      return `${p.healthy ? 'up' : 'down'} ${weight(p)}`;
    };

    /** Refused traffic at 1 takes proxy 0 down at once; healthy probes at 10 and 20 bring it back (rise 2). */
    const refusedAtOne = (hot: (marbles: string, values: Record<string, ClusterInput[]>) => Observable<ClusterInput[]>) =>
      hot('-r', { r: [sent(0), failed(0, 'refused')] }).pipe(concatAll());

    it('ramps a proxy that comes back after rise good probes from 10% to 100% over slowStart, a step each tick', () => {
      scheduler.run(({ hot, expectObservable }) => {
        const views = start({ addresses: ONE, probe: healthy, slowStart: 40 }, refusedAtOne(hot));
        expectObservable(views.pipe(map(ramp), distinctUntilChanged()), '^ 80ms !').toBe('ab 18ms c 9ms d 9ms e 9ms f 9ms g', {
          a: 'up 1',
          b: 'down 1',
          c: 'up 0.1',
          d: 'up 0.325',
          e: 'up 0.55',
          f: 'up 0.775',
          g: 'up 1',
        });
      });
    });

    it('ramps from the moment the proxy rises, also between ticks', () => {
      scheduler.run(({ cold, hot, expectObservable }) => {
        // Probes answer 2 ms after each tick: back at 22, then 0.1 + 0.9 * (t - 22) / 40 at each tick.
        const late: ProbePort = (proxy) => cold<ProbeResult>('--r|', { r: { proxy, ok: true, metrics: {} } });
        const views = start({ addresses: ONE, probe: late, slowStart: 40 }, refusedAtOne(hot));
        expectObservable(views.pipe(map(ramp), distinctUntilChanged()), '^ 80ms !').toBe('ab 20ms c 7ms d 9ms e 9ms f 9ms g 9ms h', {
          a: 'up 1',
          b: 'down 1',
          c: 'up 0.1',
          d: 'up 0.28',
          e: 'up 0.505',
          f: 'up 0.73',
          g: 'up 0.955',
          h: 'up 1',
        });
      });
    });

    it('brings a proxy back at full weight at once without slow start', () => {
      scheduler.run(({ hot, expectObservable }) => {
        const views = start({ addresses: ONE, probe: healthy }, refusedAtOne(hot));
        expectObservable(views.pipe(map(ramp), distinctUntilChanged()), '^ 80ms !').toBe('ab 18ms a', { a: 'up 1', b: 'down 1' });
      });
    });

    it('leaves proxies that never went away at full weight', () => {
      scheduler.run(({ hot, expectObservable }) => {
        const views = start({ addresses: TWO, probe: healthy, slowStart: 40 }, refusedAtOne(hot));
        expectObservable(views.pipe(map((v) => weight(v.proxies[1]!)), distinctUntilChanged()), '^ 80ms !').toBe('w', { w: 1 });
      });
    });
  });

  describe('membership', () => {
    /** Each proxy's membership. */
    const members = (view: ClusterView) => view.proxies.map((p) => p.membership).join(', ');
    const drain = (proxy: number): ClusterInput => ({ kind: 'drain', proxy });

    /** A probe port that records when it probes which proxy and answers well at once. */
    const recording = (calls: string[]): ProbePort => (proxy) => {
      calls.push(`${scheduler.now()}:${proxy}`);
      return healthy(proxy);
    };

    it('adds a proxy at runtime, ramping it up from 10% under slow start, and probes it from the next tick', () => {
      const calls: string[] = [];
      scheduler.run(({ hot, expectObservable }) => {
        const admin = hot<ClusterInput>('-----a', { a: { kind: 'add', proxy: 2, address: '127.0.0.1:8003' } });
        const views = start({ addresses: TWO, probe: recording(calls), slowStart: 40 }, admin);
        const shown = views.pipe(
          map((v) => v.proxies.map((p) => `${p.address} ${p.membership} ${p.healthy ? 'up' : 'down'} ${weight(p)}`).join(', ')),
          distinctUntilChanged(),
        );
        const two = '127.0.0.1:8001 active up 1, 127.0.0.1:8002 active up 1';
        expectObservable(shown, '^ 55ms !').toBe('a 4ms b 4ms c 9ms d 9ms e 9ms f 9ms g', {
          a: two,
          b: `${two}, 127.0.0.1:8003 active up 0.1`,
          c: `${two}, 127.0.0.1:8003 active up 0.2125`,
          d: `${two}, 127.0.0.1:8003 active up 0.4375`,
          e: `${two}, 127.0.0.1:8003 active up 0.6625`,
          f: `${two}, 127.0.0.1:8003 active up 0.8875`,
          g: `${two}, 127.0.0.1:8003 active up 1`,
        });
      });
      expect(calls.slice(0, 6)).to.deep.equal(['10:0', '10:1', '10:2', '20:0', '20:1', '20:2']);
    });

    it('adds a proxy at full weight at once without slow start', () => {
      scheduler.run(({ hot, expectObservable }) => {
        const admin = hot<ClusterInput>('-a', { a: { kind: 'add', proxy: 1, address: '127.0.0.1:8002' } });
        const views = start({ addresses: ONE, probe: healthy }, admin);
        const weights = views.pipe(map((v) => v.proxies.map(weight).join(' ')), distinctUntilChanged());
        expectObservable(weights, '^ 30ms !').toBe('ab', { a: '1', b: '1 1' });
      });
    });

    // distinctUntilChanged: a failure (or an answer while draining) may repeat the same membership; these tests are about when it changes.
    // Two in flight at the drain (5); the first to end leaves one, the second the last. A failed
    // forward ends a request as surely as an answer: it must not hold the drain open.
    const endings = [
      { name: 'keeps a draining proxy until its last request in flight is answered, then removes it', marbles: '-s-s-d-f-a' },
      { name: 'removes a draining proxy when its last request in flight fails', marbles: '-s-s-d-a-f' },
      { name: 'removes a draining proxy when its last request in flight times out', marbles: '-s-s-d-a-t' },
    ];
    for (const { name, marbles } of endings) {
      it(name, () => {
        scheduler.run(({ hot, expectObservable }) => {
          const inputs = hot<ClusterInput>(marbles, { s: sent(1), d: drain(1), f: failed(1), t: failed(1, 'timeout'), a: answered(1) });
          const views = start({ addresses: TWO, probe: () => EMPTY, interval: 1000 }, inputs);
          expectObservable(views.pipe(map(members), distinctUntilChanged()), '^ 20ms !').toBe('a 4ms b 3ms c', {
            a: 'active, active',
            b: 'active, draining',
            c: 'active, removed',
          });
        });
      });
    }

    it('removes a drained proxy with nothing in flight at once', () => {
      scheduler.run(({ hot, expectObservable }) => {
        const inputs = hot<ClusterInput>('-d', { d: drain(0) });
        const views = start({ addresses: TWO, probe: () => EMPTY, interval: 1000 }, inputs);
        expectObservable(views.pipe(map(members)), '^ 20ms !').toBe('ab', { a: 'active, active', b: 'removed, active' });
      });
    });

    it('removes a drained proxy at once when every request sent to it was answered before the drain', () => {
      scheduler.run(({ hot, expectObservable }) => {
        // Exact views, no distinct: the send and the answer make none, the drain makes exactly one.
        const inputs = hot<ClusterInput>('-s-a-d', { s: sent(0), a: answered(0), d: drain(0) });
        const views = start({ addresses: TWO, probe: () => EMPTY, interval: 1000 }, inputs);
        expectObservable(views.pipe(map(members)), '^ 20ms !').toBe('a----b', { a: 'active, active', b: 'removed, active' });
      });
    });

    it('counts requests in flight per proxy: another proxy\'s load never holds a drain open', () => {
      scheduler.run(({ hot, expectObservable }) => {
        const inputs = hot<ClusterInput>('-s-d', { s: sent(0), d: drain(1) });
        const views = start({ addresses: TWO, probe: () => EMPTY, interval: 1000 }, inputs);
        expectObservable(views.pipe(map(members)), '^ 20ms !').toBe('a--b', { a: 'active, active', b: 'active, removed' });
      });
    });

    it('removes a proxy at once, requests in flight or not, and probes it no more', () => {
      const calls: string[] = [];
      scheduler.run(({ hot, expectObservable }) => {
        // Proxy 1 still has the request sent at 1 in flight when it is removed at 15.
        const inputs = hot<ClusterInput>('-s 13ms r', { s: sent(1), r: { kind: 'remove', proxy: 1 } });
        const views = start({ addresses: TWO, probe: recording(calls) }, inputs);
        expectObservable(views.pipe(map(members), distinctUntilChanged()), '^ 35ms !').toBe('a 14ms c', {
          a: 'active, active',
          c: 'active, removed',
        });
      });
      expect(calls).to.deep.equal(['10:0', '10:1', '20:0', '30:0']);
    });

    it('ignores a probe answer that comes after its proxy was removed', () => {
      scheduler.run(({ cold, hot, expectObservable }) => {
        // The probe sent at 10 reports failure at 12; the proxy was removed at 11.
        const failing: ProbePort = (proxy) => cold<ProbeResult>('--f|', { f: { proxy, ok: false, reason: 'probe refused' } });
        const inputs = hot<ClusterInput>('-----------r', { r: { kind: 'remove', proxy: 0 } });
        const views = start({ addresses: ONE, probe: failing, fall: 1 }, inputs);
        const shown = views.pipe(map((v) => `${members(v)} ${health(v)}`), distinctUntilChanged());
        expectObservable(shown, '^ 35ms !').toBe('a 10ms b', { a: 'active up', b: 'removed up' });
      });
    });
  });
});
