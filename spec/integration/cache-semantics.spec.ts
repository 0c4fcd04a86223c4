// Proxy cache semantics over real processes: coalescing, stale-if-error, grace, negative caching,
// per-key TTL, purge through the balancer, the byte bound, and the origin retry by cause (--origin-retry-on).
import { expect } from 'chai';
import type { NodeProcess } from '../../lib/cluster/process.js';
import type { Client, Response } from '../../lib/client/client.js';
import { Fixture, askLine, eventually, metricsOf, type DocFolder } from './cache-helpers.js';

const dataOf = (answer: Response): Record<string, unknown> => answer.data as Record<string, unknown>;

describe('proxy cache semantics (integration)', function () {
  this.timeout(20_000);
  const f = new Fixture();

  afterEach(() => f.release());

  describe('request coalescing', function () {
    it('answers 200 concurrent clients asking one cold key with a single origin fetch', async function () {
      const folder = await f.folder();
      await folder.put('article/1', { id: 1, title: 'one' });
      const origin = await f.origin(folder, '--latency', '200');
      const proxy = await f.proxy(origin.port);
      const clients = Array.from({ length: 200 }, () => f.client(proxy.port));
      // Every connection is open before the first GET, so all 200 arrive while the one fetch waits on the origin.
      await Promise.all(clients.map((client) => client.metrics()));

      const answers = await Promise.all(clients.map((client) => client.get('article/1')));

      for (const answer of answers) {
        expect(answer).to.deep.equal({ status: 'OK', data: { id: 1, title: 'one' }, cache_hit: false, node: proxy.port });
      }
      expect((await metricsOf(f.client(origin.port))).total_requests).to.equal(1);
      expect(await metricsOf(clients[0]!)).to.include({ misses: 200, origin_fetches: 1, coalesced: 199, origin_errors: 0 });
    });
  });

  describe('stale-if-error', function () {
    it('serves the stale value while the origin is down, then ORIGIN_FAILURE once the window has passed', async function () {
      const folder = await f.folder();
      await folder.put('article/1', { v: 1 });
      const origin = await f.origin(folder);
      const proxy = await f.proxy(origin.port, '--ttl', '1', '--stale-if-error', '3');
      const client = f.client(proxy.port);
      expect(await client.get('article/1')).to.include({ status: 'OK', cache_hit: false });

      origin.child.kill('SIGKILL');
      await origin.exited;

      const stale = await eventually('a stale answer once the TTL has passed', async () => {
        const answer = await client.get('article/1');
        expect(answer).to.deep.include({ status: 'OK', data: { v: 1 }, cache_hit: true });
        return answer.stale === true ? answer : undefined;
      });
      expect(stale).to.deep.equal({ status: 'OK', data: { v: 1 }, cache_hit: true, node: proxy.port, stale: true });

      const failure = await eventually('the stale-if-error window to close', async () => {
        const answer = await client.get('article/1');
        if (answer.status !== 'OK') return answer;
        expect(answer).to.deep.equal(stale);
        return undefined;
      });
      expect(failure).to.deep.equal({ status: 'ORIGIN_FAILURE', error: 'origin unreachable' });
      const metrics = await metricsOf(client);
      expect(metrics.stale_served).to.be.greaterThan(0);
      expect(metrics.origin_errors).to.be.greaterThan(0);
    });
  });

  describe('grace', function () {
    it('answers at once from cache with stale:true past the TTL while one refresh fetches the new value', async function () {
      const folder = await f.folder();
      await folder.put('article/1', { v: 1 });
      const origin = await f.origin(folder, '--latency', '300');
      const proxy = await f.proxy(origin.port, '--ttl', '1', '--grace', '10');
      const client = f.client(proxy.port);
      const burst = (): Promise<Response[]> => Promise.all(Array.from({ length: 10 }, () => client.get('article/1')));
      expect(await client.get('article/1')).to.deep.equal({ status: 'OK', data: { v: 1 }, cache_hit: false, node: proxy.port });
      await folder.put('article/1', { v: 2 });

      await eventually('a stale answer once the TTL has passed', async () => {
        const answers = await burst();
        for (const answer of answers) expect(answer).to.deep.include({ status: 'OK', data: { v: 1 }, cache_hit: true });
        return answers.some((answer) => answer.stale === true) ? answers : undefined;
      });
      // Sent while the one refresh is still waiting on the slow origin.
      const during = await burst();
      for (const answer of during) {
        expect(answer).to.deep.equal({ status: 'OK', data: { v: 1 }, cache_hit: true, node: proxy.port, stale: true });
      }

      const fresh = await eventually('the refreshed value', async () => {
        const answer = await client.get('article/1');
        if (dataOf(answer).v === 2) return answer;
        expect(answer).to.deep.equal({ status: 'OK', data: { v: 1 }, cache_hit: true, node: proxy.port, stale: true });
        return undefined;
      });
      expect(fresh).to.deep.equal({ status: 'OK', data: { v: 2 }, cache_hit: true, node: proxy.port });
      expect((await metricsOf(f.client(origin.port))).total_requests).to.equal(2);
      const metrics = await metricsOf(client);
      expect(metrics.origin_fetches).to.equal(2);
      expect(metrics.stale_served).to.be.at.least(11);
    });
  });

  describe('negative caching', function () {
    let folder: DocFolder;
    let origin: NodeProcess;

    beforeEach(async function () {
      folder = await f.folder();
      origin = await f.origin(folder);
    });

    const originFetches = async (): Promise<number> => (await metricsOf(f.client(origin.port))).total_requests!;
    const notFound = { status: 'NOT_FOUND', data: 'no such key' };

    it('under --negative-ttl answers a missing key from cache until the negative TTL passes', async function () {
      const proxy = await f.proxy(origin.port, '--negative-ttl', '1');
      const client = f.client(proxy.port);
      expect(await client.get('article/9')).to.deep.equal(notFound);
      expect(await client.get('article/9')).to.deep.equal(notFound);
      expect(await originFetches()).to.equal(1);

      await folder.put('article/9', { v: 9 });
      expect(await client.get('article/9')).to.deep.equal(notFound);
      const found = await eventually('the document once the negative TTL has passed', async () => {
        const answer = await client.get('article/9');
        if (answer.status === 'OK') return answer;
        expect(answer).to.deep.equal(notFound);
        return undefined;
      });
      expect(found).to.deep.equal({ status: 'OK', data: { v: 9 }, cache_hit: false, node: proxy.port });
      expect(await originFetches()).to.equal(2);
      expect((await metricsOf(client)).negative_hits).to.be.at.least(2);
    });

    it('without --negative-ttl asks the origin about a missing key every time', async function () {
      const proxy = await f.proxy(origin.port);
      const client = f.client(proxy.port);
      expect(await client.get('article/9')).to.deep.equal(notFound);
      expect(await client.get('article/9')).to.deep.equal(notFound);
      expect(await originFetches()).to.equal(2);

      await folder.put('article/9', { v: 9 });
      expect(await client.get('article/9')).to.deep.equal({ status: 'OK', data: { v: 9 }, cache_hit: false, node: proxy.port });
      expect((await metricsOf(client)).negative_hits).to.equal(0);
    });
  });

  describe('per-key TTL from the origin', function () {
    it('refetches a document whose sidecar sets ttl 1 while one without a sidecar stays cached under --ttl', async function () {
      const folder = await f.folder();
      await folder.put('article/short', { v: 1 }, { ttl: 1 });
      await folder.put('article/long', { v: 1 });
      const origin = await f.origin(folder);
      const proxy = await f.proxy(origin.port, '--ttl', '300');
      const client = f.client(proxy.port);
      for (const key of ['article/short', 'article/long']) {
        expect(await client.get(key)).to.deep.equal({ status: 'OK', data: { v: 1 }, cache_hit: false, node: proxy.port });
        expect(await client.get(key)).to.deep.equal({ status: 'OK', data: { v: 1 }, cache_hit: true, node: proxy.port });
      }
      await folder.put('article/short', { v: 2 }, { ttl: 1 });
      await folder.put('article/long', { v: 2 });

      const refetched = await eventually('the short-lived document to be refetched', async () => {
        const answer = await client.get('article/short');
        if (dataOf(answer).v === 2) return answer;
        expect(answer).to.deep.equal({ status: 'OK', data: { v: 1 }, cache_hit: true, node: proxy.port });
        return undefined;
      });
      expect(refetched).to.deep.equal({ status: 'OK', data: { v: 2 }, cache_hit: false, node: proxy.port });
      expect(await client.get('article/long')).to.deep.equal({ status: 'OK', data: { v: 1 }, cache_hit: true, node: proxy.port });
      expect((await metricsOf(f.client(origin.port))).total_requests).to.equal(3);
    });
  });

  describe('PURGE through the balancer', function () {
    let proxies: NodeProcess[];
    let lb: Client;
    let proxyClients: Client[];

    beforeEach(async function () {
      const folder = await f.folder();
      for (const key of ['article/1', 'article/2', 'user/1']) await folder.put(key, { key });
      const origin = await f.origin(folder);
      proxies = [];
      for (let i = 0; i < 3; i++) proxies.push(await f.proxy(origin.port, '--admin-token', 'T'));
      const balancer = await f.start('load-balancer', [
        '--strategy',
        'round_robin',
        '--admin-token',
        'T',
        '--proxies',
        ...proxies.map((p) => `127.0.0.1:${p.port}`),
      ]);
      lb = f.client(balancer.port);
      proxyClients = proxies.map((p) => f.client(p.port));
    });

    /** Three GETs through round_robin, one to each proxy; returns the answers. */
    const onEachProxy = async (key: string): Promise<Response[]> => {
      const answers: Response[] = [];
      for (let i = 0; i < 3; i++) answers.push(await lb.get(key));
      for (const answer of answers) expect(answer).to.deep.include({ status: 'OK', data: { key } });
      expect(new Set(answers.map((a) => a.node))).to.deep.equal(new Set(proxies.map((p) => p.port)));
      return answers;
    };
    const entries = async (): Promise<number[]> => Promise.all(proxyClients.map(async (c) => (await metricsOf(c)).entries!));
    const hits = (answers: Response[]): unknown[] => answers.map((a) => a.cache_hit);

    it('purges one key on every proxy, answering purged 3, so the next request on each is a miss', async function () {
      await onEachProxy('article/1');
      expect(hits(await onEachProxy('article/1'))).to.deep.equal([true, true, true]);
      expect(await entries()).to.deep.equal([1, 1, 1]);

      const answer = await lb.send({ op: 'PURGE', key: 'article/1', token: 'T' });

      expect(answer.status).to.equal('OK');
      expect(dataOf(answer).purged).to.equal(3);
      expect(Object.values(dataOf(answer).proxies as object)).to.deep.equal([
        { status: 'OK', purged: 1 },
        { status: 'OK', purged: 1 },
        { status: 'OK', purged: 1 },
      ]);
      expect(await entries()).to.deep.equal([0, 0, 0]);
      expect(hits(await onEachProxy('article/1'))).to.deep.equal([false, false, false]);
    });

    it('purges every key under a prefix on every proxy and leaves other keys cached', async function () {
      for (const key of ['article/1', 'article/2', 'user/1']) await onEachProxy(key);
      expect(await entries()).to.deep.equal([3, 3, 3]);

      const answer = await lb.send({ op: 'PURGE', prefix: 'article/', token: 'T' });

      expect(answer.status).to.equal('OK');
      expect(dataOf(answer).purged).to.equal(6);
      expect(await entries()).to.deep.equal([1, 1, 1]);
      expect(hits(await onEachProxy('article/1'))).to.deep.equal([false, false, false]);
      expect(hits(await onEachProxy('article/2'))).to.deep.equal([false, false, false]);
      expect(hits(await onEachProxy('user/1'))).to.deep.equal([true, true, true]);
    });

    it('refuses a purge without the token, or with a wrong one, as UNAUTHORIZED and purges nothing', async function () {
      await onEachProxy('article/1');

      const noToken = { status: 'UNAUTHORIZED', error: 'admin token required' };
      expect(await lb.send({ op: 'PURGE', key: 'article/1' })).to.deep.equal(noToken);
      expect(await lb.send({ op: 'PURGE', prefix: '', token: 'wrong' })).to.deep.equal({ status: 'UNAUTHORIZED', error: 'wrong admin token' });
      expect(await proxyClients[0]!.send({ op: 'PURGE', key: 'article/1' })).to.deep.equal(noToken);
      // The text form cannot carry a token, so a proxy with one configured refuses it.
      expect(await askLine(proxies[1]!.port, 'PURGE article/1')).to.deep.equal(noToken);

      expect(await entries()).to.deep.equal([1, 1, 1]);
      expect(hits(await onEachProxy('article/1'))).to.deep.equal([true, true, true]);
    });
  });

  describe('PURGE on a proxy without an admin token', function () {
    it('refuses PURGE in text and JSON form, with or without a token, and the key stays cached', async function () {
      const folder = await f.folder();
      await folder.put('article/1', { v: 1 });
      const origin = await f.origin(folder);
      const proxy = await f.proxy(origin.port);
      const client = f.client(proxy.port);
      await client.get('article/1');

      const disabled = { status: 'UNAUTHORIZED', error: 'admin ops are disabled: start the node with --admin-token <token> and send "token":"<token>"' };
      expect(await askLine(proxy.port, 'PURGE article/1')).to.deep.equal(disabled);
      expect(await client.send({ op: 'PURGE', key: 'article/1', token: 'guess' })).to.deep.equal(disabled);
      expect(await client.send({ op: 'PURGE', prefix: '' })).to.deep.equal(disabled);

      expect(await client.get('article/1')).to.deep.equal({ status: 'OK', data: { v: 1 }, cache_hit: true, node: proxy.port });
      expect((await metricsOf(f.client(origin.port))).total_requests).to.equal(1);
    });
  });

  describe('byte bound', function () {
    it('keeps the cache within --cache-max-bytes by evicting, while every request is still answered', async function () {
      const folder = await f.folder();
      const keys = Array.from({ length: 400 }, (_, i) => `doc/${i}`);
      const body = 'x'.repeat(5000);
      for (const [i, key] of keys.entries()) await folder.put(key, { i, body });
      const origin = await f.origin(folder);
      const proxy = await f.proxy(origin.port, '--cache-max-bytes', '200000');
      const client = f.client(proxy.port);

      for (let start = 0; start < keys.length; start += 50) {
        const batch = keys.slice(start, start + 50);
        const answers = await Promise.all(batch.map((key) => client.get(key)));
        answers.forEach((answer, j) => {
          expect(answer).to.deep.equal({ status: 'OK', data: { i: start + j, body }, cache_hit: false, node: proxy.port });
        });
        const metrics = await metricsOf(client);
        expect(metrics.bytes).to.be.at.most(200_000);
        expect(metrics.bytes).to.be.greaterThan(0);
      }
      const metrics = await metricsOf(client);
      expect(metrics.evictions).to.be.greaterThan(0);
      expect(metrics.entries).to.be.below(keys.length);
      expect(metrics.entries + metrics.evictions!).to.equal(keys.length);
    });
  });

  describe('origin timeout and retry (--origin-retry-on)', function () {
    it('answers ORIGIN_FAILURE after one --origin-timeout, having asked the origin once: by default a timeout is not retried', async function () {
      const fake = await f.fakeOrigin((line, seen) => (seen % 2 === 0 ? JSON.stringify({ status: 'OK', data: { line } }) : undefined));
      const proxy = await f.proxy(fake.port, '--origin-timeout', '300');
      const client = f.client(proxy.port);

      expect(await client.get('article/1')).to.deep.equal({ status: 'ORIGIN_FAILURE', error: 'origin timed out' });
      expect(fake.lines).to.deep.equal(['GET article/1']);
      expect(await metricsOf(client)).to.include({ origin_fetches: 1, origin_errors: 1 });
      expect(proxy.output()).to.include('"originRetryOn":["conn-failure","empty-response","junk-response"]');
    });

    it('with --origin-retry-on all, retries a fetch the origin left unanswered past --origin-timeout and serves the retry', async function () {
      const fake = await f.fakeOrigin((line, seen) => (seen % 2 === 0 ? JSON.stringify({ status: 'OK', data: { line } }) : undefined));
      const proxy = await f.proxy(fake.port, '--origin-timeout', '300', '--origin-retry-on', 'all');
      const client = f.client(proxy.port);

      expect(await client.get('article/1')).to.deep.equal({
        status: 'OK',
        data: { line: 'GET article/1' },
        cache_hit: false,
        node: proxy.port,
      });
      expect(fake.lines).to.deep.equal(['GET article/1', 'GET article/1']);
      expect(await metricsOf(client)).to.include({ origin_fetches: 1, origin_errors: 0 });
      expect(proxy.output()).to.include('"originRetryOn":["conn-failure","empty-response","junk-response","response-timeout","error-status"]');
    });

    it('with --origin-retry-on response-timeout, answers ORIGIN_FAILURE after the retry also times out, having asked the origin twice', async function () {
      const fake = await f.fakeOrigin(() => undefined);
      const proxy = await f.proxy(fake.port, '--origin-timeout', '300', '--origin-retry-on', 'response-timeout');
      const client = f.client(proxy.port);

      expect(await client.get('article/1')).to.deep.equal({ status: 'ORIGIN_FAILURE', error: 'origin timed out' });
      expect(fake.lines).to.deep.equal(['GET article/1', 'GET article/1']);
      expect(await metricsOf(client)).to.include({ origin_fetches: 1, origin_errors: 1 });
    });

    it('retries an answer that is not JSON by default, and not with --origin-retry-on none', async function () {
      const fake = await f.fakeOrigin((line, seen) => (seen % 2 === 1 ? 'not json' : JSON.stringify({ status: 'OK', data: { line } })));
      const proxy = await f.proxy(fake.port);
      expect(await f.client(proxy.port).get('article/1')).to.deep.include({ status: 'OK', data: { line: 'GET article/1' } });
      expect(fake.lines).to.deep.equal(['GET article/1', 'GET article/1']);

      const strict = await f.proxy(fake.port, '--origin-retry-on', 'none');
      expect(await f.client(strict.port).get('article/2')).to.deep.equal({ status: 'ORIGIN_FAILURE', error: 'origin answered garbage' });
      expect(fake.lines).to.deep.equal(['GET article/1', 'GET article/1', 'GET article/2']);
    });
  });
});
