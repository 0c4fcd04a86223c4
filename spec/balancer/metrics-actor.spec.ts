import { expect } from 'chai';
import { Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { balancerMetricsActor, type BalancerMetricsInput, type BalancerReport } from '../../lib/balancer/metrics-actor.js';
import { proxyState, type ClusterView, type ProxyState } from '../../lib/balancer/view.js';
import type { Sample } from '../../lib/metrics/sample.js';
import { ManualClock } from '../net/manual-clock.js';

/** Starts the actor for `strategy` on a clock at `now` ms; feeds it inputs and asks for METRICS. */
function start(strategy = 'consistent_hash', now = 0, clock: TestScheduler | ManualClock = new TestScheduler(() => undefined)) {
  clock.frame = now;
  const inbox = new Subject<BalancerMetricsInput>();
  balancerMetricsActor(strategy)(inbox, clock).subscribe();
  return {
    send: (...inputs: BalancerMetricsInput[]) => inputs.forEach((input) => inbox.next(input)),
    metrics: (): Record<string, unknown> => {
      const replies: string[] = [];
      inbox.next({ metrics: { request: { op: 'METRICS' }, reply: (r) => replies.push(r.toString()) } });
      expect(replies).to.have.length(1);
      const reply = JSON.parse(replies[0]!) as { status: string; data: Record<string, unknown> };
      expect(reply.status).to.equal('OK');
      return reply.data;
    },
    scrape: (): Sample<BalancerReport> => {
      const samples: Sample<BalancerReport>[] = [];
      inbox.next({ scrape: (sample) => samples.push(sample) });
      expect(samples).to.have.length(1);
      return samples[0]!;
    },
  };
}

function view(...changes: Partial<ProxyState>[]): { view: ClusterView } {
  return { view: { proxies: changes.map((change, id) => ({ ...proxyState(id, `127.0.0.1:${8001 + id}`), ...change })) } };
}

/** A fresh request routed to `proxy`: metrics counts the send from its routing note. */
const sent = (proxy: number): BalancerMetricsInput => ({ routed: { cursor: proxy, retry: false, proxy } });
const answered = (proxy: number): BalancerMetricsInput => ({ outcome: { kind: 'answered', proxy } });

/** The percentiles of an empty window. */
const NONE = { p50: 0, p90: 0, p99: 0 };

const routed = (cursor: number, retry = false, chosen = true): BalancerMetricsInput => ({ routed: { cursor, retry, proxy: chosen ? cursor : undefined } });

describe('balancer metrics actor', () => {
  it('answers with the original fields first, then the counters, the retry budget and latency', () => {
    expect(Object.keys(start().metrics())).to.deep.equal([
      'strategy',
      'current_index',
      'proxies',
      'start_time',
      'requests',
      'retries',
      'no_proxy',
      'forward_failures',
      'forward_timeouts',
      'errors',
      'retry_budget_exhausted',
      'retry_budget',
      'latency_ms',
      'latency_last_minute_ms',
    ]);
  });

  it('names its strategy and reports its start on the clock as ISO-8601', () => {
    expect(start('p2c', 1_700_000_000_000).metrics()).to.deep.include({ strategy: 'p2c', start_time: '2023-11-14T22:13:20.000Z' });
  });

  it('shows each proxy by address with its health, load, ejections, weight and membership', () => {
    const actor = start();
    actor.send(
      view(
        { metrics: { total_requests: 9 } },
        { healthy: false, reason: 'probe timeout' },
        { ejected: true, ejections: 2, reason: 'ejected after 5 consecutive failures', weight: 0.325 },
        { membership: 'draining', weight: 0.77777 },
      ),
      // The load comes from the routing and the outcomes, not the view: three in flight on 8001, one of two left on 8004.
      sent(0),
      sent(0),
      sent(0),
      sent(3),
      sent(3),
      answered(3),
    );
    expect(actor.metrics().proxies).to.deep.equal({
      '127.0.0.1:8001': { healthy: true, metrics: { total_requests: 9 }, reason: null, in_flight: 3, requests: 3, failures: 0, timeouts: 0, ejected: false, ejections: 0, weight: 1, state: 'active', latency_last_minute_ms: NONE },
      '127.0.0.1:8002': { healthy: false, metrics: null, reason: 'probe timeout', in_flight: 0, requests: 0, failures: 0, timeouts: 0, ejected: false, ejections: 0, weight: 1, state: 'active', latency_last_minute_ms: NONE },
      '127.0.0.1:8003': {
        healthy: true,
        metrics: null,
        reason: 'ejected after 5 consecutive failures',
        in_flight: 0,
        requests: 0,
        failures: 0,
        timeouts: 0,
        ejected: true,
        ejections: 2,
        weight: 0.325,
        state: 'active',
        latency_last_minute_ms: NONE,
      },
      '127.0.0.1:8004': { healthy: true, metrics: null, reason: null, in_flight: 1, requests: 2, failures: 0, timeouts: 0, ejected: false, ejections: 0, weight: 0.778, state: 'draining', latency_last_minute_ms: NONE },
    });
  });

  it('counts in_flight per proxy up with each routing to it and down with each answered or failed outcome', () => {
    const actor = start();
    const inFlight = () => {
      const proxies = actor.metrics().proxies as Record<string, { in_flight: number }>;
      return Object.values(proxies).map((p) => p.in_flight);
    };
    actor.send(view({}, {}));
    expect(inFlight()).to.deep.equal([0, 0]);
    actor.send(sent(0), sent(0), sent(1));
    expect(inFlight()).to.deep.equal([2, 1]);
    actor.send(answered(0));
    expect(inFlight()).to.deep.equal([1, 1]);
    actor.send({ outcome: { kind: 'failed', proxy: 1, failure: 'timeout' } });
    expect(inFlight()).to.deep.equal([1, 0]);
  });

  it('keeps its in_flight counts when a new view arrives, since the view carries no load', () => {
    const actor = start();
    actor.send(view({}), sent(0), sent(0));
    // A probe result or a health change makes a new view; it must not wipe the live load.
    actor.send(view({ metrics: { total_requests: 1 } }));
    const proxies = actor.metrics().proxies as Record<string, { in_flight: number; metrics: unknown }>;
    expect(proxies['127.0.0.1:8001']).to.deep.include({ in_flight: 2, metrics: { total_requests: 1 } });
  });

  it('leaves removed proxies out', () => {
    const actor = start();
    actor.send(view({}, { membership: 'removed' }, {}));
    expect(Object.keys(actor.metrics().proxies as object)).to.deep.equal(['127.0.0.1:8001', '127.0.0.1:8003']);
  });

  it('counts requests per proxy from the routing and failures from the outcomes, not sends twice', () => {
    const actor = start();
    actor.send(
      view({}, {}),
      sent(1),
      sent(1),
      { outcome: { kind: 'answered', proxy: 1 } },
      { outcome: { kind: 'failed', proxy: 1, failure: 'reset' } },
      sent(0),
      // The forwarder's own note of a send adds nothing: its routing counted it.
      { outcome: { kind: 'sent', proxy: 0 } },
    );
    const data = actor.metrics();
    expect(data.proxies).to.deep.include({
      '127.0.0.1:8001': { healthy: true, metrics: null, reason: null, in_flight: 1, requests: 1, failures: 0, timeouts: 0, ejected: false, ejections: 0, weight: 1, state: 'active', latency_last_minute_ms: NONE },
    });
    expect((data.proxies as Record<string, object>)['127.0.0.1:8002']).to.deep.include({ in_flight: 0, requests: 2, failures: 1 });
    expect(data.forward_failures).to.equal(1);
  });

  it('counts a forward that timed out as a timeout of its proxy, apart from the failures that blame it', () => {
    const actor = start();
    actor.send(
      view({}),
      sent(0),
      sent(0),
      sent(0),
      { outcome: { kind: 'failed', proxy: 0, failure: 'timeout' } },
      { outcome: { kind: 'failed', proxy: 0, failure: 'timeout' } },
      { outcome: { kind: 'failed', proxy: 0, failure: 'connect_timeout' } },
    );
    const data = actor.metrics();
    expect((data.proxies as Record<string, object>)['127.0.0.1:8001']).to.deep.include({ in_flight: 0, requests: 3, failures: 1, timeouts: 2 });
    expect(data).to.deep.include({ forward_failures: 1, forward_timeouts: 2 });
  });

  it('counts fresh requests, retries and choices of none from the routing, and shows the latest cursor', () => {
    const actor = start();
    actor.send(routed(1), routed(2), routed(0, true), routed(0, false, false), routed(0, true, false));
    expect(actor.metrics()).to.deep.include({ current_index: 0, requests: 3, retries: 2, no_proxy: 2 });
  });

  it('shows the proxy chosen last as current_index when the strategy takes no turns, unchanged by a choice of none', () => {
    const actor = start();
    actor.send({ routed: { retry: false, proxy: 2 } }, { routed: { retry: false, proxy: 1 } }, { routed: { retry: true, proxy: undefined } });
    expect(actor.metrics()).to.deep.include({ current_index: 1, requests: 2, retries: 1, no_proxy: 1 });
  });

  it('reports p50, p99 and max of client latency on the clock, and counts error answers', () => {
    const actor = start();
    for (let ms = 1; ms <= 100; ms++) actor.send(ms % 10 === 0 ? { error: { latency: ms, status: 'PROXY_UNREACHABLE' } } : { outcome: { kind: 'answered', proxy: 0, latency: ms } });
    expect(actor.metrics()).to.deep.include({ latency_ms: { p50: 50, p99: 99, max: 100 }, errors: 10 });
  });

  it('records a 0 ms answer as 1 ms, the floor of the histogram', () => {
    const actor = start();
    actor.send({ outcome: { kind: 'answered', proxy: 0, latency: 0 } });
    expect(actor.metrics().latency_ms).to.deep.equal({ p50: 1, p99: 1, max: 1 });
  });

  it('shows the latest retry budget and counts the times it was exhausted', () => {
    const actor = start();
    expect(actor.metrics()).to.deep.include({ retry_budget: { used: 0, allowed: 0 }, retry_budget_exhausted: 0 });
    actor.send({ budget: { used: 3, allowed: 10, exhausted: false } }, { budget: { used: 10, allowed: 10, exhausted: true } }, { budget: { used: 10, allowed: 10, exhausted: true } });
    expect(actor.metrics()).to.deep.include({ retry_budget: { used: 10, allowed: 10 }, retry_budget_exhausted: 2 });
  });

  describe('latency over the last minute', () => {
    const answeredIn = (proxy: number, latency: number, status = 'OK'): BalancerMetricsInput => ({ outcome: { kind: 'answered', proxy, latency, status } });
    const lastMinute = (data: Record<string, unknown>, proxy?: string): unknown =>
      proxy === undefined ? data.latency_last_minute_ms : (data.proxies as Record<string, { latency_last_minute_ms: unknown }>)[proxy]!.latency_last_minute_ms;

    it('reports p50, p90 and p99 of the answers, balancer-wide and per proxy, errors balancer-wide only', () => {
      const actor = start();
      actor.send(view({}, {}));
      for (let ms = 1; ms <= 100; ms++) actor.send(answeredIn(0, ms));
      actor.send(answeredIn(1, 200), { error: { latency: 250, status: 'PROXY_TIMEOUT' } });
      const data = actor.metrics();
      expect(lastMinute(data, '127.0.0.1:8001')).to.deep.equal({ p50: 50, p90: 90, p99: 99 });
      expect(lastMinute(data, '127.0.0.1:8002')).to.deep.equal({ p50: 200, p90: 200, p99: 200 });
      expect(lastMinute(data)).to.deep.equal({ p50: 51, p90: 92, p99: 200 });
    });

    it('forgets answers once a minute of the clock has passed since their 10 s slice began', () => {
      const clock = new ManualClock();
      const actor = start('consistent_hash', 0, clock);
      actor.send(view({}));
      for (let i = 0; i < 10; i++) actor.send(answeredIn(0, 200));
      clock.advance(30_000);
      for (let i = 0; i < 10; i++) actor.send(answeredIn(0, 5));
      clock.advance(29_999);
      expect(lastMinute(actor.metrics())).to.deep.equal({ p50: 5, p90: 200, p99: 200 });
      clock.advance(1);
      expect(lastMinute(actor.metrics())).to.deep.equal({ p50: 5, p90: 5, p99: 5 });
      expect(lastMinute(actor.metrics(), '127.0.0.1:8001')).to.deep.equal({ p50: 5, p90: 5, p99: 5 });
      clock.advance(30_000);
      expect(lastMinute(actor.metrics())).to.deep.equal({ p50: 0, p90: 0, p99: 0 });
    });

    it('keeps latency_ms since start, as before', () => {
      const clock = new ManualClock();
      const actor = start('consistent_hash', 0, clock);
      actor.send(answeredIn(0, 200));
      clock.advance(120_000);
      expect(actor.metrics().latency_ms).to.deep.equal({ p50: 200, p99: 200, max: 200 });
    });
  });

  it('hands a scrape its report, the answers by status and their durations in buckets since start', () => {
    const actor = start();
    actor.send(
      view({}),
      { outcome: { kind: 'answered', proxy: 0, latency: 0, status: 'OK' } },
      { outcome: { kind: 'answered', proxy: 0, latency: 7, status: 'NOT_FOUND' } },
      { outcome: { kind: 'answered', proxy: 0, latency: 7, status: 'OK' } },
      { error: { latency: 5000, status: 'PROXY_TIMEOUT' } },
    );
    const sample = actor.scrape();
    expect(sample.report).to.deep.equal(actor.metrics());
    expect(sample.statuses).to.deep.equal({ OK: 2, NOT_FOUND: 1, PROXY_TIMEOUT: 1 });
    // Buckets up to 1, 5, 10, ... 5000 ms: one answer in the first, two in the third, one at 5 s.
    expect(sample.duration).to.deep.equal({ counts: [1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0], sumMs: 5014, count: 4 });
  });
});
