// A proxy in front of a real HTTP service (bin/proxy --origin-url, bin/cluster --origin-url): HTTP caching rules, revalidation, status mapping, key confinement.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type http from 'node:http';
import { expect } from 'chai';
import fc from 'fast-check';
import { binScript, type NodeProcess } from '../../lib/cluster/process.js';
import { Nodes, ask, metricsOf, open, waitFor, type Answer } from './helpers.js';
import { HttpTestOrigin, json, type Handler } from './http-test-origin.js';
import { traversalKey, underBase } from '../proxy/traversal.js';

const repoRoot = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const get = (port: number, key: string): Promise<Answer> => ask(port, JSON.stringify({ op: 'GET', key }));

describe('HTTP origin (integration)', function () {
  this.timeout(60_000);
  const nodes = new Nodes();
  let origin: HttpTestOrigin;

  afterEach(async function () {
    await nodes.stopAll();
    await origin?.close();
  });

  /** An HTTP origin answering with `handler`, and one proxy in front of it under /api/ with `flags`. */
  async function proxyBefore(handler: Handler, ...flags: string[]): Promise<NodeProcess> {
    origin = await new HttpTestOrigin(handler).listen();
    return nodes.start('proxy', ['--port', '0', '--origin-url', origin.url('/api/'), ...flags]);
  }

  /** Answers `data` with `headers`; `data` may be changed by the test. */
  function document(headers: http.OutgoingHttpHeaders, initial: unknown = { v: 1 }) {
    const state = { data: initial, headers };
    const handler: Handler = (_request, response) => json(response, state.data, state.headers);
    return { state, handler };
  }

  describe('freshness from the headers', function () {
    it('answers from cache while max-age lasts, then fetches again', async function () {
      const { state, handler } = document({ 'cache-control': 'max-age=1' });
      const proxy = await proxyBefore(handler, '--ttl', '300');
      expect(await get(proxy.port, 'article/1')).to.deep.equal({ status: 'OK', data: { v: 1 }, cache_hit: false, node: proxy.port });
      expect(await get(proxy.port, 'article/1')).to.deep.include({ data: { v: 1 }, cache_hit: true });
      state.data = { v: 2 };
      const refetched = await waitFor('a fetch once max-age has passed', async () => {
        const answer = await get(proxy.port, 'article/1');
        return answer.cache_hit === false ? answer : undefined;
      });
      expect(refetched).to.deep.include({ data: { v: 2 } });
      expect(origin.count('/api/article/1')).to.equal(2);
    });

    it('counts the Age the origin gives against max-age: max-age=60 with Age 59 expires within seconds', async function () {
      const { handler } = document({ 'cache-control': 'max-age=60', age: '59' });
      const proxy = await proxyBefore(handler, '--ttl', '300');
      await get(proxy.port, 'a');
      await waitFor('a fetch once the remaining second has passed', async () => ((await get(proxy.port, 'a')).cache_hit === false ? true : undefined));
      expect(origin.count('/api/a')).to.equal(2);
    });

    it('uses --ttl when the origin says nothing of freshness', async function () {
      const { handler } = document({});
      const proxy = await proxyBefore(handler, '--ttl', '300');
      await get(proxy.port, 'a');
      for (let i = 0; i < 3; i++) expect(await get(proxy.port, 'a')).to.deep.include({ cache_hit: true });
      expect(origin.count('/api/a')).to.equal(1);
    });

    for (const cc of ['no-store', 'private, max-age=60']) {
      it(`does not store an answer marked ${cc}`, async function () {
        const { handler } = document({ 'cache-control': cc });
        const proxy = await proxyBefore(handler, '--ttl', '300', '--stale-if-error', '300');
        for (let i = 0; i < 3; i++) expect(await get(proxy.port, 'a')).to.deep.include({ data: { v: 1 }, cache_hit: false });
        expect(origin.count('/api/a')).to.equal(3);
        expect(await metricsOf(proxy.port)).to.include({ entries: 0 });
      });
    }
  });

  describe('over HTTPS', function () {
    // A self-signed certificate for 127.0.0.1 (spec/integration/fixtures, valid until 2126), made
    // for these specs only; the proxy trusts it through Node's NODE_EXTRA_CA_CERTS.
    const fixture = (name: string): string => path.join(repoRoot, 'spec', 'integration', 'fixtures', name);
    const tls = { cert: readFileSync(fixture('https-origin.cert.pem')), key: readFileSync(fixture('https-origin.key.pem')) };

    async function httpsProxy(trusted: boolean): Promise<NodeProcess> {
      origin = await new HttpTestOrigin(undefined, tls).listen();
      const before = process.env.NODE_EXTRA_CA_CERTS;
      if (trusted) process.env.NODE_EXTRA_CA_CERTS = fixture('https-origin.cert.pem');
      try {
        return await nodes.start('proxy', ['--port', '0', '--origin-url', origin.url('/api/')]);
      } finally {
        if (before === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
        else process.env.NODE_EXTRA_CA_CERTS = before;
      }
    }

    it('fetches from an https: origin whose certificate it trusts, and caches as its headers say', async function () {
      const proxy = await httpsProxy(true);
      expect(origin.url()).to.match(/^https:/);
      expect(await get(proxy.port, 'article/1')).to.deep.equal({ status: 'OK', data: { path: '/api/article/1' }, cache_hit: false, node: proxy.port });
      expect(await get(proxy.port, 'article/1')).to.deep.include({ data: { path: '/api/article/1' }, cache_hit: true });
      expect(origin.count('/api/article/1')).to.equal(1);
    });

    it('answers ORIGIN_FAILURE, saying the TLS handshake failed, for an origin whose certificate it does not trust', async function () {
      const proxy = await httpsProxy(false);
      expect(await get(proxy.port, 'article/1')).to.deep.equal({ status: 'ORIGIN_FAILURE', error: 'origin TLS handshake failed' });
      expect(origin.count('/api/article/1')).to.equal(0);
    });
  });

  describe('conditional revalidation', function () {
    /** An origin with an ETag and a Last-Modified that answers a matching conditional GET 304. */
    const validating = (cacheControl: string): Handler => (request, response) => {
      const headers = { etag: '"v1"', 'last-modified': 'Mon, 01 Jan 2024 00:00:00 GMT', 'cache-control': cacheControl };
      if (request.headers['if-none-match'] === '"v1"') {
        response.writeHead(304, headers);
        response.end();
      } else {
        json(response, { v: 1 }, headers);
      }
    };

    it('refreshes an expired entry with If-None-Match and If-Modified-Since; a 304 makes it fresh again', async function () {
      const proxy = await proxyBefore(validating('max-age=1'), '--ttl', '300');
      await get(proxy.port, 'a');
      const revalidated = await waitFor('the revalidation once max-age has passed', async () => {
        const answer = await get(proxy.port, 'a');
        return answer.cache_hit === false ? answer : undefined;
      });
      expect(revalidated).to.deep.equal({ status: 'OK', data: { v: 1 }, cache_hit: false, node: proxy.port });
      expect(origin.seen.map((s) => [s.headers['if-none-match'], s.headers['if-modified-since']])).to.deep.equal([
        [undefined, undefined],
        ['"v1"', 'Mon, 01 Jan 2024 00:00:00 GMT'],
      ]);
      expect(await get(proxy.port, 'a')).to.deep.include({ cache_hit: true });
      expect(await metricsOf(proxy.port)).to.include({ origin_fetches: 2, revalidations: 1, not_modified: 1 });
    });

    it('revalidates a no-cache answer before each use, and answers from the kept data', async function () {
      const proxy = await proxyBefore(validating('no-cache'), '--ttl', '300');
      for (let i = 0; i < 3; i++) expect(await get(proxy.port, 'a')).to.deep.equal({ status: 'OK', data: { v: 1 }, cache_hit: false, node: proxy.port });
      expect(origin.seen.map((s) => s.headers['if-none-match'])).to.deep.equal([undefined, '"v1"', '"v1"']);
      expect(await metricsOf(proxy.port)).to.include({ origin_fetches: 3, revalidations: 2, not_modified: 2, entries: 1 });
    });
  });

  describe('stale answers', function () {
    it("serves the kept value for the origin's stale-if-error while it fails, without --stale-if-error", async function () {
      let failing = false;
      const proxy = await proxyBefore((_request, response) => {
        if (failing) {
          response.writeHead(503);
          response.end();
        } else {
          json(response, { v: 1 }, { 'cache-control': 'max-age=1, stale-if-error=300' });
        }
      });
      await get(proxy.port, 'a');
      failing = true;
      const stale = await waitFor('a stale answer once max-age has passed', async () => {
        const answer = await get(proxy.port, 'a');
        return answer.stale === true ? answer : undefined;
      });
      expect(stale).to.deep.equal({ status: 'OK', data: { v: 1 }, cache_hit: true, node: proxy.port, stale: true });
      expect((await metricsOf(proxy.port)).origin_errors).to.be.at.least(1);
    });

    it('answers ORIGIN_FAILURE when the origin fails and allows nothing stale', async function () {
      let failing = false;
      const proxy = await proxyBefore((_request, response) => {
        if (failing) {
          response.writeHead(500);
          response.end();
        } else {
          json(response, { v: 1 }, { 'cache-control': 'max-age=1' });
        }
      });
      await get(proxy.port, 'a');
      failing = true;
      const failed = await waitFor('the failure once max-age has passed', async () => {
        const answer = await get(proxy.port, 'a');
        return answer.status !== 'OK' ? answer : undefined;
      });
      expect(failed).to.deep.equal({ status: 'ORIGIN_FAILURE', error: 'origin answered 500' });
    });

    it("answers at once from cache for the origin's stale-while-revalidate while one refresh runs, without --grace", async function () {
      const held: (() => void)[] = [];
      let version = 1;
      const proxy = await proxyBefore((_request, response) => {
        const answer = (): void => json(response, { v: version }, { 'cache-control': 'max-age=1, stale-while-revalidate=300' });
        if (version === 1) answer();
        else held.push(answer);
      });
      await get(proxy.port, 'a');
      version = 2;
      const stale = await waitFor('a stale answer once max-age has passed', async () => {
        const answer = await get(proxy.port, 'a');
        return answer.stale === true ? answer : undefined;
      });
      expect(stale).to.deep.equal({ status: 'OK', data: { v: 1 }, cache_hit: true, node: proxy.port, stale: true });
      // The refresh is held at the origin: more requests are answered stale and start no other.
      expect(await get(proxy.port, 'a')).to.deep.include({ data: { v: 1 }, stale: true });
      expect(origin.count('/api/a')).to.equal(2);
      held.splice(0).forEach((answer) => answer());
      const fresh = await waitFor('the refreshed value', async () => {
        const answer = await get(proxy.port, 'a');
        return answer.stale === undefined ? answer : undefined;
      });
      expect(fresh).to.deep.equal({ status: 'OK', data: { v: 2 }, cache_hit: true, node: proxy.port });
    });
  });

  it('sends 1,000 concurrent requests of one cold key to the origin once', async function () {
    const held: (() => void)[] = [];
    const proxy = await proxyBefore((request, response) => held.push(() => json(response, { path: request.url }, { 'cache-control': 'max-age=60' })));
    const connections = await Promise.all(Array.from({ length: 10 }, () => open(proxy.port)));
    try {
      for (const connection of connections) connection.send('GET hot/1\n'.repeat(100));
      await waitFor('every request to wait on the one fetch', async () => ((await metricsOf(proxy.port)).coalesced === 999 ? true : undefined));
      held.splice(0).forEach((answer) => answer());
      const answers = (await Promise.all(connections.map((c) => c.reader.readAnswers(100)))).flat();
      expect(answers).to.have.length(1000);
      for (const answer of answers) expect(answer).to.deep.equal({ status: 'OK', data: { path: '/api/hot/1' }, cache_hit: false, node: proxy.port });
      expect(origin.seen).to.have.length(1);
      expect(await metricsOf(proxy.port)).to.include({ origin_fetches: 1, coalesced: 999, misses: 1000 });
    } finally {
      for (const connection of connections) connection.close();
    }
  });

  it('forgets a purged key: the next GET goes to the origin', async function () {
    const { handler } = document({ 'cache-control': 'max-age=300' });
    const proxy = await proxyBefore(handler, '--admin-token', 'T');
    await get(proxy.port, 'article/1');
    expect(await get(proxy.port, 'article/1')).to.deep.include({ cache_hit: true });
    expect(await ask(proxy.port, JSON.stringify({ op: 'PURGE', key: 'article/1', token: 'T' }))).to.deep.equal({ status: 'OK', data: { purged: 1 } });
    expect(await get(proxy.port, 'article/1')).to.deep.include({ cache_hit: false });
    expect(origin.count('/api/article/1')).to.equal(2);
  });

  describe('negative caching', function () {
    const missing = (status: number, cacheControl?: string): Handler => (_request, response) => {
      response.writeHead(status, cacheControl === undefined ? {} : { 'cache-control': cacheControl });
      response.end('no such thing');
    };

    for (const status of [404, 410]) {
      it(`caches a ${status} as NOT_FOUND under --negative-ttl`, async function () {
        const proxy = await proxyBefore(missing(status), '--negative-ttl', '300');
        const notFound = { status: 'NOT_FOUND', data: `origin answered ${status}` };
        for (let i = 0; i < 3; i++) expect(await get(proxy.port, 'gone/1')).to.deep.equal(notFound);
        expect(origin.seen).to.have.length(1);
        expect(await metricsOf(proxy.port)).to.include({ negative_hits: 2 });
      });
    }

    it('asks again about a 404 marked no-store, even under --negative-ttl', async function () {
      const proxy = await proxyBefore(missing(404, 'no-store'), '--negative-ttl', '300');
      for (let i = 0; i < 2; i++) expect(await get(proxy.port, 'gone/1')).to.deep.include({ status: 'NOT_FOUND' });
      expect(origin.seen).to.have.length(2);
    });
  });

  it('holds no more than --cache-max-bytes, evicting the least recently used', async function () {
    const { handler } = document({ 'cache-control': 'max-age=300' }, { pad: 'x'.repeat(100) });
    const proxy = await proxyBefore(handler, '--cache-max-bytes', '2000');
    for (let i = 0; i < 40; i++) expect(await get(proxy.port, `k/${i}`)).to.deep.include({ status: 'OK' });
    const metrics = await metricsOf(proxy.port);
    expect(metrics.bytes).to.be.at.most(2000);
    expect(metrics.evictions).to.be.greaterThan(0);
    expect(await get(proxy.port, 'k/39')).to.deep.include({ cache_hit: true });
    expect(await get(proxy.port, 'k/0')).to.deep.include({ cache_hit: false });
  });

  describe('status mapping', function () {
    // An error status (error-status) is not retried by default; junk (junk-response) is, once.
    const cases: [string, Handler, string, number][] = [
      ['a 5xx', (_q, r) => { r.writeHead(502); r.end(); }, 'origin answered 502', 1],
      ['another 4xx', (_q, r) => { r.writeHead(403); r.end('{}'); }, 'origin answered 403', 1],
      ['a redirect', (_q, r) => { r.writeHead(301, { location: 'http://elsewhere.test/' }); r.end(); }, 'origin answered 301 (a redirect to http://elsewhere.test/, not followed)', 2],
      ['a 2xx body that is not JSON', (_q, r) => { r.writeHead(200, { 'content-type': 'text/html' }); r.end('<html></html>'); }, 'origin answered a body that is not JSON', 2],
      ['a body over --max-object-size', (_q, r) => json(r, { pad: 'x'.repeat(5000) }), 'origin answered more than 4096 bytes (--max-object-size)', 2],
    ];
    for (const [what, handler, error, asked] of cases) {
      it(`answers ${what} ORIGIN_FAILURE ${asked === 1 ? 'without a retry' : 'after one retry'}`, async function () {
        const proxy = await proxyBefore(handler, '--max-object-size', '4096');
        expect(await get(proxy.port, 'a')).to.deep.equal({ status: 'ORIGIN_FAILURE', error });
        expect(origin.seen).to.have.length(asked);
      });
    }

    it('retries a 5xx once with --origin-retry-on error-status, and serves the retry', async function () {
      const failsOnce: Handler = (_q, r, seen) => {
        if (seen > 1) return json(r, { ok: true });
        r.writeHead(503);
        r.end();
      };
      const proxy = await proxyBefore(failsOnce, '--origin-retry-on', 'error-status');
      expect(await get(proxy.port, 'a')).to.deep.include({ status: 'OK', data: { ok: true } });
      expect(origin.seen).to.have.length(2);
    });
  });

  it('keeps every generated key under the base path: the origin sees only paths below it, or nothing', async function () {
    const proxy = await proxyBefore((request, response) => json(response, { path: request.url }, { 'cache-control': 'no-store' }));
    const connection = await open(proxy.port);
    try {
      await fc.assert(
        fc.asyncProperty(traversalKey(), async (key) => {
          const before = origin.seen.length;
          connection.send(`${JSON.stringify({ op: 'GET', key })}\n`);
          const [answer] = await connection.reader.readAnswers(1);
          const seen = origin.seen.slice(before).map((s) => s.path);
          if (answer!.status === 'BAD_REQUEST') {
            expect(seen, key).to.deep.equal([]);
          } else {
            expect(answer!.status, key).to.equal('OK');
            expect(seen, key).to.have.length(1);
            expect(underBase('/api/', seen[0]!), `${key} -> ${seen[0]}`).to.equal(true);
            expect((answer!.data as { path: string }).path).to.equal(seen[0]);
          }
        }),
        { numRuns: 300 },
      );
    } finally {
      connection.close();
    }
    for (const { path } of origin.seen) expect(underBase('/api/', path), path).to.equal(true);
  });

  it('sends every --origin-header on each request: an origin that wants a key answers, and the key is not logged', async function () {
    const handler: Handler = (request, response) =>
      request.headers['x-api-key'] === 'k-123' ? json(response, { ok: true }) : json(response, { error: 'no key' }, {}, 401);
    const proxy = await proxyBefore(handler, '--origin-header', 'X-Api-Key: k-123', '--origin-header', 'x-tenant:  blue ', '--log-level', 'info');
    expect(await get(proxy.port, 'a')).to.deep.include({ status: 'OK', data: { ok: true } });
    expect(origin.seen[0]!.headers).to.include({ 'x-api-key': 'k-123', 'x-tenant': 'blue', accept: 'application/json' });
    expect(proxy.output()).to.include('"originHeaders":{"x-api-key":"<set>","x-tenant":"<set>"}');
    expect(proxy.output()).to.not.include('k-123');
  });

  it('refuses to start on an --origin-url that is not an http(s) URL', async function () {
    origin = await new HttpTestOrigin().listen();
    let failure = '';
    await nodes.start('proxy', ['--port', '0', '--origin-url', 'ftp://example.test/']).catch((err: Error) => (failure = err.message));
    expect(failure).to.include('the origin URL must be http: or https:');
  });

  it('bin/cluster --origin-url fronts the service: no origin node, a GET through the balancer reaches it with each --origin-header', async function () {
    origin = await new HttpTestOrigin().listen();
    const flags = ['--origin-url', origin.url('/api/'), '--origin-header', 'X-Api-Key: k-123', '--proxy-port', '0', '--port', '0', '--metrics-port', '0'];
    const child = spawn(process.execPath, [binScript('cluster'), ...flags], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor('the cluster to be ready', async () => (out.includes('ready:') ? true : undefined), 20_000);
      expect([...out.matchAll(/pid (\d+)/g)]).to.have.length(4);
      expect(out).to.include(`origin         ${origin.url('/api/')}  (HTTP, not started here)`);
      const lbPort = Number(/load balancer\s+127\.0\.0\.1:(\d+)/.exec(out)![1]);
      expect(await get(lbPort, 'article/7')).to.deep.include({ status: 'OK', data: { path: '/api/article/7' }, cache_hit: false });
      expect(await get(lbPort, 'article/7')).to.deep.include({ status: 'OK', cache_hit: true });
      expect(origin.count('/api/article/7')).to.equal(1);
      expect(origin.seen[0]!.headers['x-api-key']).to.equal('k-123');
      expect(out).to.not.include('k-123');
      child.kill('SIGINT');
      expect(await exited).to.equal(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
