import { expect } from 'chai';
import { httpCaching, type HttpFreshness, type HttpValidator } from '../../lib/proxy/http-freshness.js';
import { ManualClock } from '../net/manual-clock.js';

const PATH = '/api/article/1';
const LONG_AGO = 'Mon, 01 Jan 2001 00:00:00 GMT';

describe('HTTP freshness (http-cache-semantics on the proxy clock)', () => {
  let clock: ManualClock;
  beforeEach(() => {
    clock = new ManualClock();
    clock.advance(1_700_000_000_000);
  });

  /** The rules for a 200 with `headers`, the proxy's --ttl being `ttl` ms. */
  const rules = (headers: Record<string, string | string[]>, ttl = 30_000): HttpFreshness => httpCaching(clock, ttl).answer(PATH, 200, headers);
  const httpDate = (ms: number): string => new Date(ms).toUTCString();

  describe('freshness from the headers', () => {
    it('is fresh for max-age', () => {
      expect(rules({ 'cache-control': 'max-age=60' })).to.deep.include({ storable: true, ttl: 60_000 });
    });

    it('takes s-maxage over max-age, as a shared cache does', () => {
      expect(rules({ 'cache-control': 'max-age=60, s-maxage=10' }).ttl).to.equal(10_000);
    });

    it('counts the Age the answer already has against max-age', () => {
      expect(rules({ 'cache-control': 'max-age=60', age: '45' }).ttl).to.equal(15_000);
      expect(rules({ 'cache-control': 'max-age=60', age: '90' }).ttl).to.equal(0);
    });

    it('is fresh until Expires, counted from the Date the origin gave', () => {
      const date = clock.now() - 5_000;
      expect(rules({ date: httpDate(date), expires: httpDate(date + 120_000) }).ttl).to.equal(120_000);
    });

    it('is stale at once when Expires is in the past or not a date', () => {
      expect(rules({ date: httpDate(clock.now()), expires: httpDate(clock.now() - 1000) }).ttl).to.equal(0);
      expect(rules({ expires: '0' }).ttl).to.equal(0);
    });

    it('takes max-age over Expires', () => {
      expect(rules({ 'cache-control': 'max-age=5', date: httpDate(clock.now()), expires: httpDate(clock.now() + 600_000) }).ttl).to.equal(5_000);
    });

    it('joins repeated Cache-Control headers as one list', () => {
      expect(rules({ 'cache-control': ['public', 'max-age=7'] }).ttl).to.equal(7_000);
    });
  });

  describe('what may not be stored', () => {
    it('does not store no-store or private answers', () => {
      expect(rules({ 'cache-control': 'no-store, max-age=60' }).storable).to.equal(false);
      expect(rules({ 'cache-control': 'private, max-age=60' }).storable).to.equal(false);
    });

    it('stores a no-cache answer stale at once, so it is revalidated before each use, and strict', () => {
      const r = rules({ 'cache-control': 'no-cache', etag: '"v1"' });
      expect(r).to.deep.include({ storable: true, ttl: 0 });
      expect(r.stale.strict).to.equal(true);
      expect(r.validator).to.not.equal(undefined);
    });

    it('treats Pragma: no-cache without Cache-Control as no-cache', () => {
      expect(rules({ pragma: 'no-cache' }).ttl).to.equal(0);
    });

    it('does not reuse an answer setting a cookie unless it is public', () => {
      expect(rules({ 'cache-control': 'max-age=60', 'set-cookie': 's=1' }).ttl).to.equal(0);
      expect(rules({ 'cache-control': 'public, max-age=60', 'set-cookie': 's=1' }).ttl).to.equal(60_000);
      expect(rules({ 'set-cookie': 's=1' }).ttl).to.equal(0);
    });
  });

  describe('--ttl when the origin says nothing', () => {
    it('gives an answer without max-age, s-maxage or Expires the proxy --ttl', () => {
      expect(rules({}, 30_000).ttl).to.equal(30_000);
      expect(rules({ 'cache-control': 'public' }, 12_000).ttl).to.equal(12_000);
    });

    it('uses --ttl rather than the heuristic from Last-Modified', () => {
      expect(rules({ 'last-modified': LONG_AGO, date: httpDate(clock.now()) }, 30_000).ttl).to.equal(30_000);
    });

    it('rounds --ttl up to whole seconds, as max-age is', () => {
      expect(rules({}, 1_500).ttl).to.equal(2_000);
    });

    it('reads --ttl forever as the largest max-age, and --ttl 0 as stale at once', () => {
      expect(rules({}, Infinity).ttl).to.equal(2147483648 * 1000);
      expect(rules({}, 0).ttl).to.equal(0);
    });

    it('leaves an explicit max-age=0 alone', () => {
      expect(rules({ 'cache-control': 'max-age=0' }, 30_000).ttl).to.equal(0);
    });
  });

  describe('stale directives', () => {
    it('reads stale-while-revalidate and stale-if-error in ms', () => {
      expect(rules({ 'cache-control': 'max-age=1, stale-while-revalidate=30, stale-if-error=300' }).stale).to.deep.equal({
        whileRevalidate: 30_000,
        ifError: 300_000,
        strict: false,
      });
    });

    it('is strict under no-cache, must-revalidate, proxy-revalidate and s-maxage', () => {
      for (const cc of ['no-cache', 'max-age=5, must-revalidate', 'max-age=5, proxy-revalidate', 's-maxage=5']) {
        expect(rules({ 'cache-control': cc }).stale.strict, cc).to.equal(true);
      }
      expect(rules({ 'cache-control': 'max-age=5' }).stale.strict).to.equal(false);
    });
  });

  describe('validators and revalidation', () => {
    it('keeps a validator only for an answer with an ETag or a Last-Modified', () => {
      expect(rules({ 'cache-control': 'max-age=5' }).validator).to.equal(undefined);
      expect(rules({ 'cache-control': 'max-age=5', etag: '"a"' }).validator?.bytes).to.be.greaterThan(0);
      expect(rules({ 'cache-control': 'max-age=5', 'last-modified': LONG_AGO }).validator?.bytes).to.be.greaterThan(0);
      expect(rules({ 'cache-control': 'no-store', etag: '"a"' }).validator).to.equal(undefined);
    });

    it('sends If-None-Match and If-Modified-Since from the validator', () => {
      const caching = httpCaching(clock, 30_000);
      const validator = caching.answer(PATH, 200, { 'cache-control': 'max-age=5', etag: '"v1"', 'last-modified': LONG_AGO }).validator!;
      expect(caching.conditional(validator, PATH)).to.deep.equal({ 'if-none-match': '"v1"', 'if-modified-since': LONG_AGO });
    });

    it('refreshes an entry by a 304: fresh again for the max-age it kept, or the one the 304 brings', () => {
      const caching = httpCaching(clock, 30_000);
      const validator = caching.answer(PATH, 200, { 'cache-control': 'max-age=5', etag: '"v1"' }).validator!;
      clock.advance(60_000);
      expect(caching.notModified(validator, PATH, { etag: '"v1"' }).ttl).to.equal(5_000);
      expect(caching.notModified(validator, PATH, { etag: '"v1"', 'cache-control': 'max-age=120' }).ttl).to.equal(120_000);
    });

    it('gives a refreshed answer that still says nothing of freshness the proxy --ttl again', () => {
      const caching = httpCaching(clock, 10_000);
      const validator = caching.answer(PATH, 200, { etag: '"v1"' }).validator!;
      clock.advance(60_000);
      const refreshed = caching.notModified(validator, PATH, { etag: '"v1"' });
      expect(refreshed.ttl).to.equal(10_000);
      expect(caching.conditional(refreshed.validator as HttpValidator, PATH)).to.deep.equal({ 'if-none-match': '"v1"' });
    });

    it('counts age on the proxy clock: an answer stored for max-age=60 has 20 s left 40 s later', () => {
      const caching = httpCaching(clock, 30_000);
      const validator = caching.answer(PATH, 200, { 'cache-control': 'max-age=60', etag: '"v1"' }).validator!;
      clock.advance(40_000);
      expect(validator.policy.timeToLive()).to.equal(20_000);
    });
  });
});
