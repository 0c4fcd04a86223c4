import { expect } from 'chai';
import { Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { proxyMetricsActor, type ProxyMetricsInput } from '../../lib/proxy/metrics-actor.js';
import type { Answered, CacheEvent, CacheGauges } from '../../lib/proxy/messages.js';
import type { ProxyReport } from '../../lib/proxy/metrics-actor.js';
import type { Sample } from '../../lib/metrics/sample.js';
import { ManualClock } from '../net/manual-clock.js';

/** Starts the actor on a clock at `now` ms and returns a way to feed it events and ask for METRICS. */
function start(now = 0, clock: TestScheduler | ManualClock = new TestScheduler(() => undefined)) {
  clock.frame = now;
  const inbox = new Subject<ProxyMetricsInput>();
  proxyMetricsActor()(inbox, clock).subscribe();
  return {
    events: (...events: CacheEvent[]) => events.forEach((event) => inbox.next({ event })),
    gauges: (gauges: CacheGauges) => inbox.next({ gauges }),
    answered: (answered: Answered) => inbox.next({ answered }),
    scrape: (): Sample<ProxyReport> => {
      const samples: Sample<ProxyReport>[] = [];
      inbox.next({ scrape: (sample) => samples.push(sample) });
      expect(samples).to.have.length(1);
      return samples[0]!;
    },
    metrics: (): string => {
      const replies: string[] = [];
      inbox.next({ metrics: { request: { op: 'METRICS' }, reply: (r) => replies.push(r.toString()) } });
      expect(replies).to.have.length(1);
      return replies[0]!;
    },
  };
}

const data = (reply: string) => (JSON.parse(reply) as { data: Record<string, unknown> }).data;

describe('proxy metrics actor', () => {
  it('answers METRICS with OK and the original fields first, in their order', () => {
    const reply = start().metrics();
    expect(reply.startsWith('{"status":"OK","data":{"start_time":')).to.equal(true);
    const original = ['start_time', 'total_requests', 'hit_rate', 'hits', 'misses', 'origin_fetches'];
    expect(Object.keys(data(reply)).slice(0, 6)).to.deep.equal(original);
  });

  it('appends the extensions after the original fields, in their order', () => {
    expect(Object.keys(data(start().metrics())).slice(6)).to.deep.equal([
      'coalesced',
      'origin_errors',
      'stale_served',
      'negative_hits',
      'peer_fills',
      'evictions',
      'entries',
      'bytes',
      'revalidations',
      'not_modified',
      'latency_last_minute_ms',
    ]);
  });

  it('counts conditional fetches as revalidations and 304 answers as not_modified', () => {
    const actor = start();
    actor.events('miss', 'origin_fetch', 'revalidation', 'not_modified', 'miss', 'origin_fetch', 'revalidation');
    expect(data(actor.metrics())).to.deep.include({ origin_fetches: 2, revalidations: 2, not_modified: 1 });
  });

  it('reports zeros and a hit_rate of 0 before any traffic', () => {
    expect(data(start().metrics())).to.deep.include({ total_requests: 0, hit_rate: 0, hits: 0, misses: 0, origin_fetches: 0 });
  });

  it('reports the time it started on its clock as an ISO-8601 start_time', () => {
    expect(data(start(1_700_000_000_000).metrics()).start_time).to.equal('2023-11-14T22:13:20.000Z');
  });

  it('counts hits and misses into total_requests and hit_rate', () => {
    const actor = start();
    actor.events('miss', 'origin_fetch', 'hit', 'hit', 'hit');
    expect(data(actor.metrics())).to.deep.include({ total_requests: 4, hit_rate: 0.75, hits: 3, misses: 1, origin_fetches: 1 });
  });

  it('counts a coalesced miss as a miss without an origin fetch', () => {
    const actor = start();
    actor.events('miss', 'origin_fetch', 'miss', 'coalesced');
    expect(data(actor.metrics())).to.deep.include({ total_requests: 2, hit_rate: 0, misses: 2, origin_fetches: 1, coalesced: 1 });
  });

  it('counts origin errors', () => {
    const actor = start();
    actor.events('miss', 'origin_fetch', 'origin_error');
    expect(data(actor.metrics())).to.deep.include({ origin_errors: 1, origin_fetches: 1 });
  });

  it('counts stale answers and negative hits, a negative hit also being a hit', () => {
    const actor = start();
    actor.events('hit', 'stale_served', 'hit', 'negative_hit', 'miss', 'origin_fetch', 'origin_error', 'stale_served');
    expect(data(actor.metrics())).to.deep.include({ hits: 2, misses: 1, stale_served: 2, negative_hits: 1, origin_errors: 1 });
  });

  it('reports zero entries, bytes and evictions before the cache reports its size', () => {
    expect(data(start().metrics())).to.deep.include({ evictions: 0, entries: 0, bytes: 0 });
  });

  it('reports the latest size the cache reported, not a sum', () => {
    const actor = start();
    actor.gauges({ entries: 3, bytes: 120, evictions: 1 });
    actor.gauges({ entries: 2, bytes: 80, evictions: 4 });
    expect(data(actor.metrics())).to.deep.include({ evictions: 4, entries: 2, bytes: 80 });
  });

  it('does not count a size report as a request', () => {
    const actor = start();
    actor.gauges({ entries: 1, bytes: 10, evictions: 0 });
    expect(data(actor.metrics())).to.deep.include({ total_requests: 0 });
  });

  it('keeps counting across METRICS requests', () => {
    const actor = start();
    actor.events('hit');
    actor.metrics();
    actor.events('miss');
    expect(data(actor.metrics())).to.deep.include({ total_requests: 2, hit_rate: 0.5 });
  });

  describe('latency over the last minute', () => {
    const lastMinute = (reply: string): unknown => data(reply).latency_last_minute_ms;

    it('reports 0 before any answer', () => {
      expect(lastMinute(start().metrics())).to.deep.equal({ p50: 0, p90: 0, p99: 0 });
    });

    it('counts each hit as 0 ms and each miss as long as it waited for its fetch', () => {
      const actor = start();
      actor.events(...Array<CacheEvent>(90).fill('hit'));
      actor.events(...Array<CacheEvent>(10).fill('miss'));
      actor.answered({ status: 'OK', waits: [40, 40, 40, 40, 40, 40, 40, 40, 120, 120] });
      expect(lastMinute(actor.metrics())).to.deep.equal({ p50: 0, p90: 0, p99: 120 });
    });

    it('forgets what is older than a minute of the clock, hits included', () => {
      const clock = new ManualClock();
      const actor = start(0, clock);
      actor.events('hit', 'hit', 'hit');
      actor.answered({ status: 'OK', waits: [30] });
      clock.advance(30_000);
      actor.answered({ status: 'OK', waits: [70] });
      clock.advance(30_000);
      expect(lastMinute(actor.metrics())).to.deep.equal({ p50: 70, p90: 70, p99: 70 });
      clock.advance(30_000);
      expect(lastMinute(actor.metrics())).to.deep.equal({ p50: 0, p90: 0, p99: 0 });
    });
  });

  it('hands a scrape its report, the answers by status and their durations in buckets since start', () => {
    const actor = start();
    actor.events('hit', 'hit', 'negative_hit', 'miss', 'miss', 'miss');
    actor.answered({ status: 'OK', waits: [3, 30] });
    actor.answered({ status: 'ORIGIN_FAILURE', waits: [2000] });
    const sample = actor.scrape();
    expect(sample.report).to.deep.equal(data(actor.metrics()));
    // The negative hit is one of the two hits: answered NOT_FOUND from cache.
    expect(sample.statuses).to.deep.equal({ OK: 3, NOT_FOUND: 1, ORIGIN_FAILURE: 1 });
    expect(sample.duration).to.deep.equal({ counts: [2, 1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0], sumMs: 2033, count: 5 });
  });
});
