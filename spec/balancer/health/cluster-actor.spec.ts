import { expect } from 'chai';
import { EMPTY, NEVER, distinctUntilChanged, map, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { clusterActor, type ClusterOptions, type ProbePort } from '../../../lib/balancer/health/cluster-actor.js';
import type { Outcome, ProbeResult } from '../../../lib/balancer/messages.js';
import type { ClusterView } from '../../../lib/balancer/view.js';

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

describe('cluster actor', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  /** Starts the actor on the test scheduler with `policy` unless told otherwise. */
  const start = (options: Pick<ClusterOptions, 'addresses' | 'probe'> & Partial<ClusterOptions>, outcomes: Observable<Outcome> = EMPTY) =>
    clusterActor({ ...policy, ...options })(outcomes, scheduler);

  it('starts from a view with every proxy up, idle and without metrics', () => {
    scheduler.run(({ expectObservable }) => {
      const views = start({ addresses: TWO, probe: () => EMPTY });
      expectObservable(views, '^ 5ms !').toBe('v', {
        v: {
          proxies: [
            { id: 0, address: '127.0.0.1:8001', healthy: true, reason: null, inFlight: 0, metrics: null },
            { id: 1, address: '127.0.0.1:8002', healthy: true, reason: null, inFlight: 0, metrics: null },
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

  it("follows in-flight counts through 'sent', 'answered' and 'failed' outcomes", () => {
    scheduler.run(({ hot, expectObservable }) => {
      const outcomes = hot<Outcome>('-s-s-a-f', {
        s: { kind: 'sent', proxy: 0 },
        a: { kind: 'answered', proxy: 0 },
        f: { kind: 'failed', proxy: 0, failure: 'reset' },
      });
      const views = start({ addresses: ONE, probe: () => EMPTY, interval: 1000 }, outcomes);
      const load = views.pipe(map((v) => `${v.proxies[0]!.inFlight} ${health(v)}`));
      expectObservable(load, '^ 20ms !').toBe('ab-c-b-a', { a: '0 up', b: '1 up', c: '2 up' });
    });
  });

  it('takes a proxy down at once when traffic to it is refused', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const outcomes = hot<Outcome>('-s-f', {
        s: { kind: 'sent', proxy: 1 },
        f: { kind: 'failed', proxy: 1, failure: 'refused' },
      });
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
      const outcomes = hot<Outcome>('-(ss)f 9ms f', {
        s: { kind: 'sent', proxy: 0 },
        f: { kind: 'failed', proxy: 0, failure: 'reset' },
      });
      const views = start({ addresses: ONE, probe: scripted([silent]) }, outcomes);
      expectObservable(views.pipe(map(health), distinctUntilChanged()), '^ 20ms !').toBe('u 14ms d', {
        u: 'up',
        d: 'down: traffic reset',
      });
    });
  });
});
