import { expect } from 'chai';
import type { LinkCallback, LinkFailure, UpstreamLink } from '../../lib/net/upstream.js';
import type { LinkRequest } from '../../lib/protocol/upstream-request.js';
import type { FailureCause, FetchOutcome } from '../../lib/proxy/messages.js';
import { originOverLink, readAnswer } from '../../lib/proxy/origin-link.js';

describe('readAnswer', () => {
  it('re-encodes the data of an OK answer compactly', () => {
    const answer = '{ "status": "OK", "data": { "title": "x",\t"tags": [1, 2] } }';
    expect(readAnswer(answer)).to.deep.equal({ kind: 'ok', data: '{"title":"x","tags":[1,2]}' });
  });

  it('keeps only the data of an OK answer, not its other fields', () => {
    expect(readAnswer('{"status":"OK","data":{"a":1},"cache_hit":true,"node":8001}')).to.deep.equal({ kind: 'ok', data: '{"a":1}' });
  });

  it('passes NOT_FOUND through as an answer', () => {
    const answer = '{"status":"NOT_FOUND","data":"no such key"}';
    expect(readAnswer(answer)).to.deep.equal({ kind: 'answer', answer, notFound: true });
  });

  it('passes BAD_REQUEST through as an answer', () => {
    const answer = '{"status":"BAD_REQUEST","error":"key leaves the data folder"}';
    expect(readAnswer(answer)).to.deep.equal({ kind: 'answer', answer, notFound: false });
  });

  it('reads the ttl of an OK answer, in seconds, into milliseconds', () => {
    expect(readAnswer('{"status":"OK","data":{"a":1},"ttl":30}')).to.deep.equal({ kind: 'ok', data: '{"a":1}', ttl: 30_000 });
    expect(readAnswer('{"status":"OK","data":{"a":1},"ttl":0.5}')).to.deep.equal({ kind: 'ok', data: '{"a":1}', ttl: 500 });
  });

  it('keeps a ttl of 0, which means "do not cache"', () => {
    expect(readAnswer('{"status":"OK","data":{"a":1},"ttl":0}')).to.deep.equal({ kind: 'ok', data: '{"a":1}', ttl: 0 });
  });

  it('ignores a ttl that is negative or not a number', () => {
    for (const ttl of ['-1', '"30"', 'null', 'true', '[5]']) {
      expect(readAnswer(`{"status":"OK","data":{"a":1},"ttl":${ttl}}`), ttl).to.deep.equal({ kind: 'ok', data: '{"a":1}' });
    }
  });

  it('calls text that is not JSON a junk-response failure', () => {
    expect(readAnswer('<html>oops</html>')).to.deep.equal({ kind: 'failure', reason: 'origin answered garbage', cause: 'junk-response' });
  });

  it('calls JSON that is not an object a junk-response failure', () => {
    expect(readAnswer('42')).to.deep.equal({ kind: 'failure', reason: 'origin answered garbage', cause: 'junk-response' });
    expect(readAnswer('null')).to.deep.equal({ kind: 'failure', reason: 'origin answered garbage', cause: 'junk-response' });
  });

  it('calls an answer without a status a junk-response failure', () => {
    expect(readAnswer('{"data":{"a":1}}')).to.deep.equal({ kind: 'failure', reason: 'origin answered without a status', cause: 'junk-response' });
    expect(readAnswer('{"status":42}')).to.deep.equal({ kind: 'failure', reason: 'origin answered without a status', cause: 'junk-response' });
  });

  it('calls an OK answer without data a junk-response failure', () => {
    expect(readAnswer('{"status":"OK"}')).to.deep.equal({ kind: 'failure', reason: 'origin answered OK', cause: 'junk-response' });
  });

  it('calls any other status an error-status failure, naming it', () => {
    expect(readAnswer('{"status":"ORIGIN_FAILURE","error":"x"}')).to.deep.equal({ kind: 'failure', reason: 'origin answered ORIGIN_FAILURE', cause: 'error-status' });
    expect(readAnswer('{"status":"SERVER_ERROR"}')).to.deep.equal({ kind: 'failure', reason: 'origin answered SERVER_ERROR', cause: 'error-status' });
  });
});

describe('originOverLink', () => {
  /** A link that records each request and answers it as told. */
  function fakeLink(answer: (request: LinkRequest, callback: LinkCallback) => void): { link: UpstreamLink; requests: LinkRequest[] } {
    const requests: LinkRequest[] = [];
    const link = {
      request(request: LinkRequest, callback: LinkCallback) {
        requests.push(request);
        answer(request, callback);
      },
    } as unknown as UpstreamLink;
    return { link, requests };
  }

  function fetch(link: UpstreamLink, key: string): { outcomes: FetchOutcome[]; completed: boolean } {
    const result = { outcomes: [] as FetchOutcome[], completed: false };
    originOverLink(link)(key).subscribe({ next: (o) => result.outcomes.push(o), complete: () => (result.completed = true) });
    return result;
  }

  it('sends GET <key>, with a text form, and reads the answer into one outcome', () => {
    const { link, requests } = fakeLink((_request, callback) => callback(null, Buffer.from('{"status":"OK","data":{"a": 1}}')));
    expect(fetch(link, 'article/1')).to.deep.equal({ outcomes: [{ kind: 'ok', data: '{"a":1}' }], completed: true });
    expect(requests.map(({ text, json }) => ({ text, json }))).to.deep.equal([{ text: 'GET article/1', json: '{"op":"GET","key":"article/1"}' }]);
  });

  it('sends nothing until subscribed', () => {
    const { link, requests } = fakeLink(() => undefined);
    originOverLink(link)('article/1');
    expect(requests).to.deep.equal([]);
  });

  it('describes each link failure as an origin failure, with its retry-on cause', () => {
    const failures: Record<LinkFailure, [string, FailureCause]> = {
      refused: ['origin unreachable', 'conn-failure'],
      timeout: ['origin timed out', 'response-timeout'],
      connect_timeout: ['origin connect timed out', 'conn-failure'],
      garbage: ['origin answered garbage', 'junk-response'],
      reset: ['origin connection lost', 'empty-response'],
      closed: ['origin connection lost', 'empty-response'],
    };
    for (const [failure, [reason, cause]] of Object.entries(failures)) {
      const { link } = fakeLink((_request, callback) => callback(failure as LinkFailure, Buffer.alloc(0)));
      expect(fetch(link, 'a').outcomes, failure).to.deep.equal([{ kind: 'failure', reason, cause }]);
    }
  });
});
