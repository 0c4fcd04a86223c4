import { expect } from 'chai';
import type { Timed } from '../lib/timed-gets.js';
import { allAnsweredMs, fetchesPerKey, percentile, sharesOf, summarizeAnswers } from '../lib/trouble-figures.js';

describe('origin-trouble figures', () => {
  describe('percentile', () => {
    it('takes the nearest rank: of 1..100, p50 is 50, p99 is 99, p100 is 100', () => {
      const values = Array.from({ length: 100 }, (_, i) => i + 1);
      expect(percentile(values, 50)).to.equal(50);
      expect(percentile(values, 99)).to.equal(99);
      expect(percentile(values, 100)).to.equal(100);
    });

    it('reads the one value of a one-value list at every percentile, and nothing of an empty one', () => {
      expect(percentile([7], 1)).to.equal(7);
      expect(percentile([7], 99)).to.equal(7);
      expect(percentile([], 50)).to.equal(undefined);
    });

    it('reads p99 of 1,000 values at the 990th: ten slow ones above it do not move it', () => {
      const values = Array.from({ length: 1000 }, (_, i) => (i < 990 ? 1 : 100 + i));
      expect(percentile(values, 99)).to.equal(1);
      expect(percentile(values, 99.1)).to.equal(1090);
    });
  });

  describe('summarizeAnswers', () => {
    const timed = (status: string, sentMs: number | undefined, answeredMs?: number, cacheHit?: boolean): Timed => ({
      key: 'k',
      status,
      ...(sentMs === undefined ? {} : { sentMs }),
      ...(answeredMs === undefined ? {} : { answeredMs }),
      ...(cacheHit === undefined ? {} : { cacheHit }),
    });

    it('counts OK and every other status, and the answers that were cache misses', () => {
      const s = summarizeAnswers([timed('OK', 0, 1, true), timed('OK', 0, 2, false), timed('ORIGIN_FAILURE', 0, 3), timed('NO_ANSWER', 0)]);
      expect(s).to.deep.include({ requests: 4, ok: 2, cacheMisses: 1, errors: { ORIGIN_FAILURE: 1, NO_ANSWER: 1 } });
    });

    it('times each request from its send to its answer', () => {
      const s = summarizeAnswers([timed('OK', 10, 11), timed('OK', 20, 23), timed('OK', 30, 40)]);
      expect(s.latency).to.deep.equal({ p50: 3, p99: 10, max: 10 });
    });

    it('counts a request never answered as infinitely slow, so its tail is not hidden', () => {
      const results = [...Array.from({ length: 98 }, () => timed('OK', 0, 1)), timed('NO_ANSWER', 0), timed('NO_ANSWER', 0)];
      const s = summarizeAnswers(results);
      expect(s.latency).to.deep.equal({ p50: 1, p99: Infinity, max: Infinity });
    });

    it('leaves a request never sent out of the latency, but in the counts', () => {
      const s = summarizeAnswers([timed('OK', 0, 5), timed('NO_ANSWER', undefined)]);
      expect(s.latency).to.deep.equal({ p50: 5, p99: 5, max: 5 });
      expect(s.errors).to.deep.equal({ NO_ANSWER: 1 });
    });

    it('says when the answers of each status came: first, median and last, in ms since the start', () => {
      const s = summarizeAnswers([timed('ORIGIN_FAILURE', 0, 2000), timed('ORIGIN_FAILURE', 0, 2100), timed('ORIGIN_FAILURE', 5, 4000), timed('OK', 0, 30), timed('NO_ANSWER', 0)]);
      expect(s.answeredAt).to.deep.equal({
        ORIGIN_FAILURE: { count: 3, first: 2000, p50: 2100, last: 4000 },
        OK: { count: 1, first: 30, p50: 30, last: 30 },
      });
    });

    it('has no latency for a run that sent nothing', () => {
      const s = summarizeAnswers([]);
      expect(s.latency).to.equal(undefined);
      expect(s).to.deep.include({ requests: 0, ok: 0 });
    });
  });

  describe('allAnsweredMs', () => {
    it('is when the last answer came, or Infinity if any request got none', () => {
      expect(allAnsweredMs([{ key: 'a', status: 'OK', sentMs: 0, answeredMs: 120 }, { key: 'b', status: 'OK', sentMs: 0, answeredMs: 80 }])).to.equal(120);
      expect(allAnsweredMs([{ key: 'a', status: 'OK', sentMs: 0, answeredMs: 120 }, { key: 'b', status: 'NO_ANSWER', sentMs: 0 }])).to.equal(Infinity);
    });
  });

  describe('fetchesPerKey', () => {
    it('gives the most fetched key, the mean over every key asked, and the keys fetched more than once or never', () => {
      const f = fetchesPerKey({ a: 1, b: 3, c: 2, other: 9 }, ['a', 'b', 'c', 'd']);
      expect(f).to.deep.equal({ keys: 4, max: 3, mean: 1.5, overOnce: 2, never: 1 });
    });

    it('is all zero for no keys', () => {
      expect(fetchesPerKey({ a: 1 }, [])).to.deep.equal({ keys: 0, max: 0, mean: 0, overOnce: 0, never: 0 });
    });
  });

  describe('sharesOf', () => {
    it('splits the requests counted between two readings by proxy', () => {
      expect(sharesOf([100, 0, 50], [400, 100, 150])).to.deep.equal([0.6, 0.2, 0.2]);
    });

    it('is all zero when nothing was counted, and never negative for a counter that went back (a restart)', () => {
      expect(sharesOf([5, 5], [5, 5])).to.deep.equal([0, 0]);
      expect(sharesOf([50, 0], [10, 30])).to.deep.equal([0, 1]);
    });
  });
});
