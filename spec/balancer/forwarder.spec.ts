import { expect } from 'chai';
import { BehaviorSubject, Subject, filter, map, merge, pipe, tap, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { forwarder, type ForwardPort, type ForwarderOptions, type ForwarderOutput } from '../../lib/balancer/forwarder.js';
import type { GetMessage, RouteRequest, Routed } from '../../lib/balancer/messages.js';
import type { LinkFailure } from '../../lib/net/upstream.js';
import { after } from '../../lib/time/clock.js';
import { initialView, type ClusterView, type ProxyState } from '../../lib/balancer/view.js';

/** A forward port that records each call and lets the test answer it. */
class FakePort {
  readonly calls: { proxy: number; key: string; done: (failure: LinkFailure | null, answer: Buffer) => void }[] = [];
  readonly port: ForwardPort = (proxy, key, done) => {
    this.calls.push({ proxy, key, done });
  };
}

function message(key = 'article/1'): GetMessage & { replies: string[] } {
  const replies: string[] = [];
  return { request: { op: 'GET', key }, reply: (r) => replies.push(r.toString()), replies };
}

type Recorded = ReturnType<typeof message>;

function routed(proxy: number | undefined, tried: number[] = [], m = message()): Routed & { message: Recorded } {
  return { message: m, tried, proxy, cursor: 0 };
}

/** Starts a forwarder on a subject of routed requests and collects what it outputs. */
function start(port: FakePort) {
  const input = new Subject<Routed>();
  const output: ForwarderOutput[] = [];
  forwarder(port.port)(input, new TestScheduler(() => undefined)).subscribe((o) => output.push(o));
  return { input, output };
}

const ANSWER = '{"status":"OK", "data":{"title":"x"},"cache_hit":true,"node":8001}';

type Traffic = Extract<ForwarderOutput, { outcome: unknown } | { retry: unknown }>;

/** The forwarder's traffic (outcomes and retries), without what it reports to METRICS. */
const outcomeOrRetry = (o: ForwarderOutput): o is Traffic => 'outcome' in o || 'retry' in o;

const label = (o: Traffic) => ('outcome' in o ? `${o.outcome.kind} ${o.outcome.proxy}` : `retry ${o.retry.tried.join(',')}`);

/** What each client waited, and whether it got an error of ours: from a proxy's answered outcome or an error note. */
interface Waited {
  latency: number;
  error: boolean;
}
const answered = pipe(
  map((o: ForwarderOutput): Waited | undefined =>
    'error' in o ? { latency: o.error.latency, error: true } : 'outcome' in o && o.outcome.kind === 'answered' ? { latency: o.outcome.latency!, error: false } : undefined,
  ),
  filter((w): w is Waited => w !== undefined),
);

const budgets = filter((o: ForwarderOutput): o is Extract<ForwarderOutput, { budget: unknown }> => 'budget' in o);

/**
 * A forwarder whose retries go straight back through a router that picks the lowest-numbered
 * proxy not yet tried among `proxies`, as the balancer's bus does with a real strategy.
 */
function withRouter(
  port: ForwardPort,
  messages: Observable<GetMessage>,
  clock: TestScheduler,
  options: ForwarderOptions,
  proxies = 4,
): Observable<ForwarderOutput> {
  const retries = new Subject<RouteRequest>();
  const route = (r: RouteRequest): Routed => {
    const proxy = [...Array(proxies).keys()].find((p) => !r.tried.includes(p));
    return { ...r, proxy, cursor: 0 };
  };
  const routedRequests = merge(messages.pipe(map((message) => ({ message, tried: [] }))), retries).pipe(map(route));
  return forwarder(port, options)(routedRequests, clock).pipe(tap((o) => 'retry' in o && retries.next(o.retry)));
}

describe('forwarder', () => {
  it('sends the key to the chosen proxy', () => {
    const port = new FakePort();
    const { input } = start(port);
    input.next(routed(2, [], message('news/7')));
    expect(port.calls.map(({ proxy, key }) => ({ proxy, key }))).to.deep.equal([{ proxy: 2, key: 'news/7' }]);
  });

  it("relays the proxy's answer unchanged", () => {
    const port = new FakePort();
    const { input } = start(port);
    const r = routed(1);
    input.next(r);
    port.calls[0]!.done(null, Buffer.from(ANSWER));
    expect(r.message.replies).to.deep.equal([ANSWER]);
  });

  it("reports 'sent' when it forwards and 'answered', with the latency and the answer's status, when the proxy answers", () => {
    const port = new FakePort();
    const { input, output } = start(port);
    input.next(routed(1));
    expect(output).to.deep.equal([{ outcome: { kind: 'sent', proxy: 1 } }]);
    port.calls[0]!.done(null, Buffer.from(ANSWER));
    expect(output).to.deep.equal([
      { outcome: { kind: 'sent', proxy: 1 } },
      { outcome: { kind: 'answered', proxy: 1, key: 'article/1', latency: 0, status: 'OK' } },
    ]);
  });

  it("reports a failed forward and sends the request back with the proxy added to 'tried'", () => {
    const port = new FakePort();
    const { input, output } = start(port);
    const r = routed(2, [0]);
    input.next(r);
    port.calls[0]!.done('reset', Buffer.from(''));
    expect(output).to.deep.equal([
      { outcome: { kind: 'sent', proxy: 2 } },
      { outcome: { kind: 'failed', proxy: 2, failure: 'reset', key: 'article/1' } },
      { budget: { used: 1, allowed: 10, exhausted: false } },
      { retry: { message: r.message, tried: [0, 2] } },
    ]);
  });

  it('does not reply to a request whose forward failed, leaving that to the retry', () => {
    const port = new FakePort();
    const { input } = start(port);
    const r = routed(0);
    input.next(r);
    port.calls[0]!.done('reset', Buffer.from(''));
    expect(r.message.replies).to.deep.equal([]);
  });

  it('answers PROXY_ERROR when no proxy could be chosen for a fresh request', () => {
    const port = new FakePort();
    const { input, output } = start(port);
    const r = routed(undefined, []);
    input.next(r);
    expect(r.message.replies).to.deep.equal(['{"status":"PROXY_ERROR","error":"no proxy available"}']);
    expect(port.calls).to.have.length(0);
    expect(output).to.deep.equal([{ error: { latency: 0, status: 'PROXY_ERROR' } }]);
  });

  it('answers PROXY_UNREACHABLE when no proxy is left after failed attempts', () => {
    const port = new FakePort();
    const { input, output } = start(port);
    const r = routed(undefined, [0, 1]);
    input.next(r);
    expect(r.message.replies).to.deep.equal(['{"status":"PROXY_UNREACHABLE","error":"no proxy answered after 2 attempt(s)"}']);
    expect(port.calls).to.have.length(0);
    expect(output).to.deep.equal([{ error: { latency: 0, status: 'PROXY_UNREACHABLE' } }]);
  });

  it('keeps forwards independent: a slow proxy does not hold back a fast one', () => {
    const port = new FakePort();
    const { input } = start(port);
    const slow = routed(0);
    const fast = routed(1);
    input.next(slow);
    input.next(fast);
    port.calls[1]!.done(null, Buffer.from(ANSWER));
    expect(fast.message.replies).to.deep.equal([ANSWER]);
    expect(slow.message.replies).to.deep.equal([]);
  });

  it('emits outcomes at the time the proxy answers (marble)', () => {
    const scheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
    scheduler.run(({ cold, expectObservable }) => {
      // Proxy 0 answers after 3 frames; proxy 1 fails after 2.
      const port: ForwardPort = (proxy, _key, done) => {
        if (proxy === 0) after(scheduler, 3, () => done(null, Buffer.from(ANSWER)));
        else after(scheduler, 2, () => done('closed', Buffer.from('')));
      };
      const requests = cold<Routed>('-a-b', { a: routed(0), b: routed(1, [0]) });
      const output = forwarder(port)(requests, scheduler).pipe(filter(outcomeOrRetry), map(label));
      expectObservable(output).toBe('-s-tA(fr)', {
        s: 'sent 0',
        t: 'sent 1',
        A: 'answered 0',
        f: 'failed 1',
        r: 'retry 0,1',
      });
    });
  });

  describe('retries and the retry budget', () => {
    let scheduler: TestScheduler;
    beforeEach(() => {
      scheduler = new TestScheduler((actual, expected) => {
        expect(actual).to.deep.equal(expected);
      });
    });

    /** A port on which each proxy in `failing` fails after `ms` frames and every other proxy answers after `ms`. */
    const portWhere = (failing: number[], ms: number, calls: string[] = []): ForwardPort => (proxy, _key, done) => {
      calls.push(`${scheduler.now()}:${proxy}`);
      after(scheduler, ms, () => (failing.includes(proxy) ? done('reset', Buffer.from('')) : done(null, Buffer.from(ANSWER))));
    };

    it('retries at most `retries` times, each on a proxy not yet tried, then answers PROXY_UNREACHABLE', () => {
      const calls: string[] = [];
      const m = message();
      scheduler.run(({ cold, expectObservable }) => {
        const port = portWhere([0, 1, 2, 3], 2, calls);
        const output = withRouter(port, cold('-m', { m }), scheduler, { retries: 2 });
        expectObservable(output.pipe(answered), '^ 20ms !').toBe('-------a', { a: { latency: 6, error: true } });
      });
      expect(calls).to.deep.equal(['1:0', '3:1', '5:2']);
      expect(m.replies).to.deep.equal(['{"status":"PROXY_UNREACHABLE","error":"no proxy answered after 3 attempt(s)"}']);
    });

    it('answers PROXY_UNREACHABLE after the first failure when retries is 0', () => {
      const calls: string[] = [];
      const m = message();
      scheduler.run(({ cold, expectObservable }) => {
        const output = withRouter(portWhere([0], 2, calls), cold('-m', { m }), scheduler, { retries: 0 });
        expectObservable(output.pipe(filter(outcomeOrRetry), map(label)), '^ 20ms !').toBe('-s-f', { s: 'sent 0', f: 'failed 0' });
      });
      expect(calls).to.deep.equal(['1:0']);
      expect(m.replies).to.deep.equal(['{"status":"PROXY_UNREACHABLE","error":"no proxy answered after 1 attempt(s)"}']);
    });

    it('relays the answer of a retry that succeeds within the retry count', () => {
      const m = message();
      scheduler.run(({ cold, expectObservable }) => {
        const output = withRouter(portWhere([0, 1], 2), cold('-m', { m }), scheduler, { retries: 2 });
        expectObservable(output.pipe(answered), '^ 20ms !').toBe('-------a', { a: { latency: 6, error: false } });
      });
      expect(m.replies).to.deep.equal([ANSWER]);
    });

    it('answers PROXY_UNREACHABLE naming the budget once the retry budget is spent, and reports it exhausted', () => {
      const first = message('a');
      const second = message('b');
      scheduler.run(({ cold, expectObservable }) => {
        // One retry per window, whatever the traffic: the first request takes it.
        const options = { retries: 2, budget: { percent: 0, windowMs: 10_000, minRetries: 1 } };
        const output = withRouter(portWhere([0], 2), cold('-a-b', { a: first, b: second }), scheduler, options);
        expectObservable(output.pipe(budgets), '^ 20ms !').toBe('---x-y', {
          x: { budget: { used: 1, allowed: 1, exhausted: false } },
          y: { budget: { used: 1, allowed: 1, exhausted: true } },
        });
      });
      expect(first.replies).to.deep.equal([ANSWER]);
      expect(second.replies).to.deep.equal([
        '{"status":"PROXY_UNREACHABLE","error":"no proxy answered after 1 attempt(s) (retry budget exhausted)"}',
      ]);
    });

    it('refills the retry budget as the window slides past the seconds that spent it', () => {
      const first = message('a');
      const late = message('b');
      scheduler.run(({ cold, expectObservable }) => {
        const options = { retries: 2, budget: { percent: 0, windowMs: 2000, minRetries: 1 } };
        const output = withRouter(portWhere([0], 2), cold('-a 2s b', { a: first, b: late }), scheduler, options);
        expectObservable(output.pipe(budgets, map((o) => o.budget.exhausted)), '^ 3s !').toBe('---n 2000ms n', { n: false });
      });
      expect(late.replies).to.deep.equal([ANSWER]);
    });

    it('reports as latency the virtual time from first routing to the reply, across retries', () => {
      scheduler.run(({ cold, expectObservable }) => {
        // Routed at 2; proxy 0 fails at 5; the retry on proxy 1 answers at 8.
        const output = withRouter(portWhere([0], 3), cold('--m', { m: message() }), scheduler, {});
        expectObservable(output.pipe(answered), '^ 20ms !').toBe('--------a', { a: { latency: 6, error: false } });
      });
    });

    it('reports the latency of each request from its own first routing', () => {
      scheduler.run(({ cold, expectObservable }) => {
        const port: ForwardPort = (proxy, _key, done) => after(scheduler, proxy === 0 ? 5 : 1, () => done(null, Buffer.from(ANSWER)));
        const requests = cold<Routed>('-a-b', { a: routed(0), b: routed(1) });
        const latencies = forwarder(port)(requests, scheduler).pipe(answered, map((w) => w.latency));
        expectObservable(latencies).toBe('----b-a', { a: 5, b: 1 });
      });
    });
  });
  describe('who is to blame', () => {
    let scheduler: TestScheduler;
    beforeEach(() => {
      scheduler = new TestScheduler((actual, expected) => {
        expect(actual).to.deep.equal(expected);
      });
    });

    const ORIGIN_FAILURE = '{"status":"ORIGIN_FAILURE","error":"origin timed out","node":8001}';

    /** A port on which proxy 0 ends each forward after 5 frames as `first` says; every other proxy answers OK after 1. */
    const firstFails = (first: LinkFailure | string, calls: string[]): ForwardPort => (proxy, _key, done) => {
      calls.push(`${scheduler.now()}:${proxy}`);
      if (proxy !== 0) return after(scheduler, 1, () => done(null, Buffer.from(ANSWER)));
      after(scheduler, 5, () => (first.startsWith('{') ? done(null, Buffer.from(first)) : done(first as LinkFailure, Buffer.alloc(0))));
    };

    /** Three proxies, with `changes` applied to proxy 0. */
    const viewWith = (changes: Partial<ProxyState>): ClusterView => {
      const view = initialView(['127.0.0.1:8001', '127.0.0.1:8002', '127.0.0.1:8003']);
      return { proxies: [{ ...view.proxies[0]!, ...changes }, ...view.proxies.slice(1)] };
    };

    it('answers PROXY_TIMEOUT after one attempt when a proxy in service took the request and did not answer in time', () => {
      const calls: string[] = [];
      const m = message();
      scheduler.run(({ cold, expectObservable }) => {
        const view$ = new BehaviorSubject(viewWith({}));
        const output = withRouter(firstFails('timeout', calls), cold('-m', { m }), scheduler, { retries: 2, view$, requestTimeout: 5000 });
        // No retry and no use of the retry budget: the failed outcome, then the client's error.
        expectObservable(output, '^ 20ms !').toBe('-s----(fe)', {
          s: { outcome: { kind: 'sent', proxy: 0 } },
          f: { outcome: { kind: 'failed', proxy: 0, failure: 'timeout', key: 'article/1' } },
          e: { error: { latency: 5, status: 'PROXY_TIMEOUT' } },
        });
      });
      expect(calls).to.deep.equal(['1:0']);
      expect(m.replies).to.deep.equal(['{"status":"PROXY_TIMEOUT","error":"the proxy did not answer within 5000 ms (--request-timeout)"}']);
    });

    for (const failure of ['refused', 'connect_timeout', 'reset', 'closed', 'garbage'] as const) {
      it(`retries a request whose forward failed with '${failure}' on another proxy`, () => {
        const calls: string[] = [];
        const m = message();
        scheduler.run(({ cold, expectObservable }) => {
          const output = withRouter(firstFails(failure, calls), cold('-m', { m }), scheduler, { view$: new BehaviorSubject(viewWith({})) });
          expectObservable(output.pipe(answered), '^ 20ms !').toBe('-------a', { a: { latency: 6, error: false } });
        });
        expect(calls).to.deep.equal(['1:0', '6:1']);
        expect(m.replies).to.deep.equal([ANSWER]);
      });
    }

    for (const [why, changes] of [
      ['down by its probes', { healthy: false, reason: 'probe timeout' }],
      ['ejected', { ejected: true, ejections: 1 }],
    ] as const) {
      it(`retries a request that timed out on another proxy when its proxy is ${why} by then: it hangs`, () => {
        const calls: string[] = [];
        const m = message();
        scheduler.run(({ cold, expectObservable }) => {
          // The proxy is in service when the request is sent, out of it when the request times out.
          const view$ = new BehaviorSubject(viewWith({}));
          scheduler.schedule(() => view$.next(viewWith(changes)), 3);
          const output = withRouter(firstFails('timeout', calls), cold('-m', { m }), scheduler, { view$ });
          expectObservable(output.pipe(answered), '^ 20ms !').toBe('-------a', { a: { latency: 6, error: false } });
        });
        expect(calls).to.deep.equal(['1:0', '6:1']);
        expect(m.replies).to.deep.equal([ANSWER]);
      });
    }

    it("relays a proxy's ORIGIN_FAILURE as it is, reports the proxy answered, and tries no other proxy", () => {
      const calls: string[] = [];
      const m = message();
      scheduler.run(({ cold, expectObservable }) => {
        const output = withRouter(firstFails(ORIGIN_FAILURE, calls), cold('-m', { m }), scheduler, {});
        expectObservable(output.pipe(filter(outcomeOrRetry), map(label)), '^ 20ms !').toBe('-s----A', { s: 'sent 0', A: 'answered 0' });
      });
      expect(calls).to.deep.equal(['1:0']);
      expect(m.replies).to.deep.equal([ORIGIN_FAILURE]);
    });
  });
});
