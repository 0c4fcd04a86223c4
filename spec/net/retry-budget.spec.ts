import { expect } from 'chai';
import { EMPTY, concatMap, defer, of, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { RetryBudget, type RetryBudgetOptions } from '../../lib/net/retry-budget.js';

describe('retry budget', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  /**
   * Plays a timeline against a fresh budget on the test scheduler's clock: r is one request, R ten,
   * t a retry attempt that emits y when granted and n when refused, u the usage for METRICS.
   */
  const play = (events: Observable<string>, options: RetryBudgetOptions): Observable<unknown> =>
    defer(() => {
      const budget = new RetryBudget(scheduler, options);
      return events.pipe(
        concatMap((e) => {
          if (e === 't') return of(budget.tryRetry() ? 'y' : 'n');
          if (e === 'u') return of(budget.usage());
          for (let i = 0; i < (e === 'R' ? 10 : 1); i++) budget.request();
          return EMPTY;
        }),
      );
    });

  it('grants minRetries retries in a window without any requests', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const budget = play(cold('ttttt'), { percent: 20, windowMs: 10_000, minRetries: 3 });
      expectObservable(budget).toBe('yyynn');
    });
  });

  it('grants minRetries even where percent of the requests would allow fewer', () => {
    scheduler.run(({ cold, expectObservable }) => {
      // 10 requests at 20% allow 2; the minimum is 3.
      const budget = play(cold('Rtttt'), { percent: 20, windowMs: 10_000, minRetries: 3 });
      expectObservable(budget).toBe('-yyyn');
    });
  });

  it('grants beyond minRetries at most percent% of the requests in the window', () => {
    scheduler.run(({ cold, expectObservable }) => {
      // 50 requests at 20% allow 10.
      const budget = play(cold('RRRRRtttttttttttt'), { percent: 20, windowMs: 10_000, minRetries: 2 });
      expectObservable(budget).toBe('-----yyyyyyyyyynn');
    });
  });

  it('never lets retries pass percent% of the requests: 57 requests at 20% allow 11, not 12', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const budget = play(cold('RRRRRrrrrrrrtttttttttttt'), { percent: 20, windowMs: 10_000, minRetries: 0 });
      expectObservable(budget).toBe('------------yyyyyyyyyyyn');
    });
  });

  it('grants more retries as more requests come in', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const budget = play(cold('RttRtt'), { percent: 10, windowMs: 10_000, minRetries: 0 });
      expectObservable(budget).toBe('-yn-yn');
    });
  });

  it("keeps a second's requests in the window until windowMs after it began, then drops them", () => {
    scheduler.run(({ cold, expectObservable }) => {
      // Second 0's 20 requests allow 10 retries, none used: at 1999 one is granted, at 2000 none is left.
      const budget = play(cold('RR 1997ms tt'), { percent: 50, windowMs: 2000, minRetries: 0 });
      expectObservable(budget).toBe('-- 1997ms yn');
    });
  });

  it("keeps a second's retries in the window until windowMs after it began, then drops them", () => {
    scheduler.run(({ cold, expectObservable }) => {
      // Second 0 spends the 2 retries always allowed; at 1999 they still count, at 2000 they are free again.
      const budget = play(cold('ttt 1996ms t ttt'), { percent: 20, windowMs: 2000, minRetries: 2 });
      expectObservable(budget).toBe('yyn 1996ms n yyn');
    });
  });

  it('counts the seconds between: a retry spent in second 1 still counts in second 2', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const events = cold('R 999ms t 999ms t 999ms t');
      const budget = play(events, { percent: 10, windowMs: 3000, minRetries: 0 });
      // At 1000 the 10 requests of second 0 allow 1; at 2000 it is spent; at 3000 second 0 is gone.
      expectObservable(budget).toBe('- 999ms y 999ms n 999ms n');
    });
  });

  it('forgets everything after an idle gap, whether the clock lands on the same bucket or another', () => {
    scheduler.run(({ cold, expectObservable }) => {
      // Two buckets. Second 10 reuses bucket 0, which held second 0 (20 requests, 1 retry): only the
      // minimum is left. Second 13 uses bucket 1 while bucket 0 holds second 10's retry: stale, so cleared.
      const events = cold('RRt 9997ms tt 2998ms tt');
      const budget = play(events, { percent: 50, windowMs: 2000, minRetries: 1 });
      expectObservable(budget).toBe('--y 9997ms yn 2998ms yn');
    });
  });

  it('reports the retries used and allowed in the window for METRICS, allowed rounded down', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const events = cold('RRRRRrrrrrrrtttu 1s u 10s u');
      const budget = play(events, { percent: 20, windowMs: 10_000, minRetries: 5 });
      expectObservable(budget).toBe('------------yyya 1s b 10s c', {
        y: 'y',
        a: { used: 3, allowed: 11 },
        b: { used: 3, allowed: 11 },
        c: { used: 0, allowed: 5 },
      });
    });
  });
});
