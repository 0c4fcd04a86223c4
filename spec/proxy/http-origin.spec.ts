import { expect } from 'chai';
import { firstValueFrom } from 'rxjs';
import { httpOrigin, type HttpOrigin, type HttpOriginOptions } from '../../lib/proxy/http-origin.js';
import type { FetchOutcome, Validator } from '../../lib/proxy/messages.js';
import { parseOriginUrl } from '../../lib/proxy/origin-url.js';
import { realClock } from '../../lib/time/clock.js';
import { closedPort } from '../integration/helpers.js';
import { HttpTestOrigin, json } from '../integration/http-test-origin.js';

describe('HTTP origin port (over a node:http origin)', function () {
  let server: HttpTestOrigin;
  const ports: HttpOrigin[] = [];

  beforeEach(async function () {
    server = await new HttpTestOrigin().listen();
  });

  afterEach(async function () {
    for (const port of ports.splice(0)) await port.close();
    await server.close();
  });

  const open = (options: Partial<HttpOriginOptions> = {}, base = '/api/'): HttpOrigin => {
    const port = httpOrigin({ url: parseOriginUrl(server.url(base)), clock: realClock, timeout: 2000, maxConnections: 8, maxObjectSize: 1 << 20, ttl: 30_000, ...options });
    ports.push(port);
    return port;
  };
  const fetch = (origin: HttpOrigin, key: string, validator?: Validator): Promise<FetchOutcome> => firstValueFrom(origin.port(key, validator));

  it('GETs the key under the base path, asking for JSON, and reads the answer', async function () {
    const outcome = await fetch(open(), 'article/1');
    expect(outcome).to.deep.include({ kind: 'ok', data: '{"path":"/api/article/1"}', ttl: 60_000 });
    expect(server.seen.map((s) => s.path)).to.deep.equal(['/api/article/1']);
    expect(server.seen[0]!.headers.accept).to.equal('application/json');
  });

  it('answers BAD_REQUEST for a key that could leave the base path, and never sends it', async function () {
    const origin = open();
    for (const key of ['../secret', 'a/%2e%2e/b', 'a\\b', 'a//b']) {
      expect(await fetch(origin, key)).to.deep.equal({
        kind: 'answer',
        answer: '{"status":"BAD_REQUEST","error":"key could leave the origin\'s base path"}',
        notFound: false,
      });
    }
    expect(server.seen).to.deep.equal([]);
  });

  it('asks conditionally with the validator of a stored answer and reads a 304 as not_modified', async function () {
    server.handler = (request, response) => {
      if (request.headers['if-none-match'] === '"v1"') {
        response.writeHead(304, { etag: '"v1"', 'cache-control': 'max-age=90' });
        response.end();
      } else {
        json(response, { v: 1 }, { etag: '"v1"', 'cache-control': 'max-age=60' });
      }
    };
    const origin = open();
    const first = await fetch(origin, 'a');
    expect(first.kind === 'ok' && first.validator).to.not.equal(undefined);
    const second = await fetch(origin, 'a', first.kind === 'ok' ? first.validator : undefined);
    expect(second).to.deep.include({ kind: 'not_modified', ttl: 90_000 });
    expect(server.seen.map((s) => s.headers['if-none-match'])).to.deep.equal([undefined, '"v1"']);
  });

  it('does not follow a redirect', async function () {
    server.handler = (_request, response) => {
      response.writeHead(302, { location: '/elsewhere' });
      response.end();
    };
    expect(await fetch(open(), 'a')).to.deep.equal({ kind: 'failure', reason: 'origin answered 302 (a redirect to /elsewhere, not followed)', cause: 'junk-response' });
    expect(server.seen.map((s) => s.path)).to.deep.equal(['/api/a']);
  });

  it('fails a body over the size limit, whether its length is announced or not', async function () {
    const big = JSON.stringify({ pad: 'x'.repeat(2000) });
    server.handler = (request, response) => {
      if (request.url === '/api/announced') response.writeHead(200, { 'content-length': Buffer.byteLength(big) });
      else response.writeHead(200);
      response.end(big);
    };
    const origin = open({ maxObjectSize: 1000 });
    const tooBig = { kind: 'failure', reason: 'origin answered more than 1000 bytes (--max-object-size)', cause: 'junk-response' };
    expect(await fetch(origin, 'announced')).to.deep.equal(tooBig);
    expect(await fetch(origin, 'chunked')).to.deep.equal(tooBig);
  });

  it('reports an origin that does not answer in time as timed out', async function () {
    server.handler = () => undefined;
    expect(await fetch(open({ timeout: 200 }), 'slow')).to.deep.equal({ kind: 'failure', reason: 'origin timed out', cause: 'response-timeout' });
  });

  it('times out a request still waiting for a connection, and never sends it', async function () {
    server.handler = () => undefined;
    const origin = open({ timeout: 200, maxConnections: 1 });
    const outcomes = await Promise.all([fetch(origin, 'first'), fetch(origin, 'queued')]);
    expect(outcomes).to.deep.equal([
      { kind: 'failure', reason: 'origin timed out', cause: 'response-timeout' },
      { kind: 'failure', reason: 'origin timed out', cause: 'response-timeout' },
    ]);
    // Given up, the first request's connection closes; the queued one, handed the next, is dropped before a byte is sent.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.seen.map((s) => s.path)).to.deep.equal(['/api/first']);
  });

  it('abandons a request in flight when its fetch is unsubscribed: the connection is closed', async function () {
    let closed!: () => void;
    const connectionClosed = new Promise<void>((resolve) => (closed = resolve));
    server.handler = (request) => request.socket.once('close', closed);
    const outcomes: FetchOutcome[] = [];
    const fetching = open({ timeout: 30_000 }).port('held').subscribe((outcome) => outcomes.push(outcome));
    while (server.seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    fetching.unsubscribe();
    await connectionClosed;
    expect(outcomes).to.deep.equal([]);
  });

  it('reports a refused connection as unreachable', async function () {
    const port = httpOrigin({ url: parseOriginUrl(`http://127.0.0.1:${await closedPort()}/`), clock: realClock, timeout: 2000, maxConnections: 1, maxObjectSize: 1000, ttl: 0 });
    ports.push(port);
    expect(await fetch(port, 'a')).to.deep.equal({ kind: 'failure', reason: 'origin unreachable', cause: 'conn-failure' });
  });

  it('reports a connection reset before the answer as lost', async function () {
    server.handler = (request) => request.socket.destroy();
    expect(await fetch(open(), 'a')).to.deep.equal({ kind: 'failure', reason: 'origin connection lost', cause: 'empty-response' });
  });

  it('reports an answered failure as error-status, and a 2xx that is not JSON as junk-response', async function () {
    server.handler = (request, response) => {
      response.writeHead(request.url === '/api/down' ? 503 : 200, { 'content-type': 'text/html' });
      response.end('<html></html>');
    };
    const origin = open();
    expect(await fetch(origin, 'down')).to.deep.equal({ kind: 'failure', reason: 'origin answered 503', cause: 'error-status' });
    expect(await fetch(origin, 'page')).to.deep.equal({ kind: 'failure', reason: 'origin answered a body that is not JSON', cause: 'junk-response' });
  });

  it('keeps connections alive between requests and opens no more than its limit', async function () {
    const waiting: (() => void)[] = [];
    server.handler = (request, response) => waiting.push(() => json(response, { path: request.url }));
    const origin = open({ maxConnections: 2 });
    const answers = Promise.all(Array.from({ length: 6 }, (_, i) => fetch(origin, `k/${i}`)));
    while (server.seen.length < 6) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      waiting.splice(0).forEach((answer) => answer());
    }
    waiting.splice(0).forEach((answer) => answer());
    for (const outcome of await answers) expect(outcome.kind).to.equal('ok');
    expect(server.maxOpen).to.equal(2);
    expect(server.connections).to.equal(2);
  });
});
