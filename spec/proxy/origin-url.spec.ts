import { expect } from 'chai';
import fc from 'fast-check';
import { originPath, parseOriginHeader, parseOriginUrl, type OriginUrl } from '../../lib/proxy/origin-url.js';
import { traversalKey, underBase } from './traversal.js';

describe('origin URL', () => {
  describe('parseOriginUrl', () => {
    it('keeps scheme, host and port as the origin and the path as the base, ending in /', () => {
      expect(parseOriginUrl('http://127.0.0.1:8080/api/v1/')).to.deep.equal({ origin: 'http://127.0.0.1:8080', basePath: '/api/v1/' });
      expect(parseOriginUrl('https://example.test/api')).to.deep.equal({ origin: 'https://example.test', basePath: '/api/' });
      expect(parseOriginUrl('http://example.test')).to.deep.equal({ origin: 'http://example.test', basePath: '/' });
    });

    it('resolves dot segments of the base itself, as any URL parser does', () => {
      expect(parseOriginUrl('http://example.test/a/../b/').basePath).to.equal('/b/');
    });

    it('refuses what is not an http or https URL, or carries credentials, a query or a fragment', () => {
      expect(() => parseOriginUrl('example.test:80')).to.throw(/http: or https:|not a URL/);
      expect(() => parseOriginUrl('not a url')).to.throw('not a URL');
      expect(() => parseOriginUrl('ftp://example.test/')).to.throw('http: or https:');
      expect(() => parseOriginUrl('http://user:pw@example.test/')).to.throw('user name or password');
      expect(() => parseOriginUrl('http://example.test/api?x=1')).to.throw('query or fragment');
      expect(() => parseOriginUrl('http://example.test/api#top')).to.throw('query or fragment');
      expect(() => parseOriginUrl('http://example.test/api?')).to.throw('query or fragment');
    });
  });

  describe('parseOriginHeader', () => {
    it('reads "Name: value" into a lower-case name and a trimmed value', () => {
      expect(parseOriginHeader('Authorization: Bearer a:b ')).to.deep.equal(['authorization', 'Bearer a:b']);
      expect(parseOriginHeader('X-Tenant:blue')).to.deep.equal(['x-tenant', 'blue']);
      expect(parseOriginHeader('X-Empty:')).to.deep.equal(['x-empty', '']);
    });

    const refusals: Array<[string, string]> = [
      ['Authorization', 'expected "Name: value", got "Authorization"'],
      [': v', 'expected "Name: value", got ": v"'],
      ['X Key: v', '"X Key" is not a header name'],
      ['X-Key: a\r\nHost: evil', 'the value of x-key has a control character'],
      ['Content-Length: 5', "content-length is the proxy's own to set"],
      ['If-None-Match: "x"', "if-none-match is the proxy's own to set"],
      ['Range: bytes=0-1', "range is the proxy's own to set"],
    ];
    for (const [text, why] of refusals) {
      it(`refuses ${JSON.stringify(text)}`, () => {
        expect(() => parseOriginHeader(text)).to.throw(why);
      });
    }
  });

  describe('originPath', () => {
    const base: OriginUrl = { origin: 'http://origin.test', basePath: '/api/' };

    it('appends the key under the base, segment by segment', () => {
      expect(originPath(base, 'article/1')).to.equal('/api/article/1');
      expect(originPath({ ...base, basePath: '/' }, 'user/42')).to.equal('/user/42');
    });

    it('percent-encodes each segment, so ?, #, % and spaces-like characters stay in it', () => {
      expect(originPath(base, 'a?b=1/c#d')).to.equal('/api/a%3Fb%3D1/c%23d');
      expect(originPath(base, '100%/é')).to.equal('/api/100%25/%C3%A9');
      expect(originPath(base, 'a@b:c')).to.equal('/api/a%40b%3Ac');
    });

    it('keeps dots that are not a whole segment', () => {
      expect(originPath(base, 'v1.2/report.json')).to.equal('/api/v1.2/report.json');
      expect(originPath(base, '.../x')).to.equal('/api/.../x');
    });

    for (const key of ['..', '../etc/passwd', 'a/../../b', 'a/./b', '.', 'a/..', 'a//b', '/host/x', 'a/', 'a\\..\\b', 'a\\b']) {
      it(`refuses ${JSON.stringify(key)}: a dot, empty segment or backslash`, () => {
        expect(originPath(base, key)).to.equal(undefined);
      });
    }

    for (const key of ['%2e%2e/x', 'a/%2E%2E/b', '..%2fx', 'a%2Fb', '%5c..', 'a%00b', '%2e']) {
      it(`refuses ${JSON.stringify(key)}: an encoded dot, slash, backslash or NUL`, () => {
        expect(originPath(base, key)).to.equal(undefined);
      });
    }

    it('refuses look-alike dots and slashes that NFKC folds into a dot segment', () => {
      expect(originPath(base, '\uff0e\uff0e/x')).to.equal(undefined);
      expect(originPath(base, 'a\uff0f..\uff0fb')).to.equal(undefined);
      expect(originPath(base, 'a\ufe68b')).to.equal(undefined);
    });

    it('refuses a key that is not well-formed Unicode', () => {
      expect(originPath(base, 'a/\ud800')).to.equal(undefined);
    });

    it('never yields a path that leaves the base, however an origin decodes and normalizes it (generated keys)', () => {
      fc.assert(
        fc.property(traversalKey(), (key) => {
          const path = originPath(base, key);
          if (path !== undefined) expect(underBase(base.basePath, path), `${JSON.stringify(key)} -> ${path}`).to.equal(true);
        }),
        { numRuns: 5000 },
      );
    });
  });
});
