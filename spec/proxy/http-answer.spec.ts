import { expect } from 'chai';
import { readHttpAnswer } from '../../lib/proxy/http-answer.js';
import { httpCaching, type HttpValidator, type ResponseHeaders } from '../../lib/proxy/http-freshness.js';
import type { FetchOutcome } from '../../lib/proxy/messages.js';
import { ManualClock } from '../net/manual-clock.js';

const PATH = '/api/article/1';

describe('HTTP origin status mapping', () => {
  const clock = new ManualClock();
  const caching = httpCaching(clock, 30_000);

  /** The outcome of an answer of `status` with `body` and `headers`, conditional when `validator` is given. */
  const read = (status: number, body = '', headers: ResponseHeaders = {}, validator?: HttpValidator): FetchOutcome =>
    readHttpAnswer(caching, PATH, { status, headers, body: Buffer.from(body) }, validator);
  const validatorOf = (headers: ResponseHeaders): HttpValidator => caching.answer(PATH, 200, headers).validator!;

  describe('2xx', () => {
    it('is OK with the JSON data, re-encoded compactly, fresh as the headers say', () => {
      expect(read(200, '{ "title" : "x",\n "n": [1, 2] }', { 'cache-control': 'max-age=60' })).to.deep.equal({
        kind: 'ok',
        data: '{"title":"x","n":[1,2]}',
        ttl: 60_000,
        stale: { whileRevalidate: 0, ifError: 0, strict: false },
      });
    });

    it('takes any JSON value as data, and ignores a byte order mark', () => {
      expect(read(200, '42')).to.deep.include({ kind: 'ok', data: '42' });
      expect(read(200, '\ufeff"text"')).to.deep.include({ kind: 'ok', data: '"text"' });
    });

    it('keeps a validator when the answer has an ETag', () => {
      const outcome = read(200, '{}', { 'cache-control': 'max-age=60', etag: '"v1"' });
      expect(outcome.kind === 'ok' && outcome.validator).to.not.equal(undefined);
    });

    it('is OK with ttl 0 and nothing to keep when the answer may not be stored', () => {
      expect(read(200, '{}', { 'cache-control': 'no-store', etag: '"v1"' })).to.deep.equal({ kind: 'ok', data: '{}', ttl: 0 });
      expect(read(200, '{}', { 'cache-control': 'private, max-age=60' })).to.deep.equal({ kind: 'ok', data: '{}', ttl: 0 });
      expect(read(201, '{}')).to.deep.equal({ kind: 'ok', data: '{}', ttl: 0 });
    });

    it('fails when the body is not JSON, or empty', () => {
      for (const body of ['<html>oops</html>', '', '{"a":', 'NaN']) {
        expect(read(200, body)).to.deep.equal({ kind: 'failure', reason: 'origin answered a body that is not JSON', cause: 'junk-response' });
      }
      expect(read(204)).to.deep.equal({ kind: 'failure', reason: 'origin answered a body that is not JSON', cause: 'junk-response' });
    });
  });

  describe('304', () => {
    it('is not_modified, fresh as the 304 says, to a conditional GET', () => {
      const validator = validatorOf({ 'cache-control': 'max-age=5', etag: '"v1"' });
      const outcome = read(304, '', { etag: '"v1"', 'cache-control': 'max-age=90' }, validator);
      expect(outcome).to.deep.include({ kind: 'not_modified', ttl: 90_000 });
    });

    it('fails to a GET that was not conditional', () => {
      expect(read(304)).to.deep.equal({ kind: 'failure', reason: 'origin answered 304 to a GET that was not conditional', cause: 'junk-response' });
    });
  });

  describe('404 and 410', () => {
    it('are NOT_FOUND, which negative caching may keep', () => {
      expect(read(404, 'nope')).to.deep.equal({ kind: 'answer', answer: '{"status":"NOT_FOUND","data":"origin answered 404"}', notFound: true });
      expect(read(410)).to.deep.equal({ kind: 'answer', answer: '{"status":"NOT_FOUND","data":"origin answered 410"}', notFound: true });
    });

    it('are NOT_FOUND that negative caching may not keep under no-store or private', () => {
      expect(read(404, '', { 'cache-control': 'no-store' })).to.deep.include({ kind: 'answer', notFound: false });
      expect(read(410, '', { 'cache-control': 'private' })).to.deep.include({ kind: 'answer', notFound: false });
    });
  });

  describe('everything else fails (ORIGIN_FAILURE, after a retry when --origin-retry-on names its cause; stale-if-error applies)', () => {
    it('does not follow a redirect, and names where it pointed', () => {
      expect(read(301, '', { location: 'https://elsewhere.test/x' })).to.deep.equal({
        kind: 'failure',
        reason: 'origin answered 301 (a redirect to https://elsewhere.test/x, not followed)',
        cause: 'junk-response',
      });
      expect(read(307)).to.deep.equal({ kind: 'failure', reason: 'origin answered 307 (a redirect, not followed)', cause: 'junk-response' });
    });

    for (const status of [400, 401, 403, 405, 429, 500, 502, 503, 504]) {
      it(`maps ${status} to an error-status failure naming the status`, () => {
        expect(read(status, '{"error":"x"}')).to.deep.equal({ kind: 'failure', reason: `origin answered ${status}`, cause: 'error-status' });
      });
    }
  });
});
