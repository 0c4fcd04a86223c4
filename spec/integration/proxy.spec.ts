// The caching proxy over real TCP: hits and misses, TTL and LRU, metrics, and a failing origin.
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { expect } from 'chai';
import type { NodeProcess } from '../../lib/cluster/process.js';
import { Nodes, SpecServer, ask, metricsOf, open, sampleData, waitFor, type Answer } from './helpers.js';

const idOf = (answer: Answer): unknown => (answer.data as { id?: unknown } | null)?.id;

describe('proxy node (integration)', function () {
  const nodes = new Nodes();
  let origin: NodeProcess;

  before(async function () {
    origin = await nodes.start('origin', ['--port', '0']);
  });

  after(() => nodes.stopAll());

  const proxy = (...args: string[]): Promise<NodeProcess> =>
    nodes.start('proxy', ['--port', '0', '--origin-port', String(origin.port), ...args]);

  describe('with the default TTL cache', function () {
    let p: NodeProcess;

    before(async function () {
      p = await proxy();
    });

    it('answers a first GET as a miss and the next as a hit, naming itself in node', async function () {
      const file = JSON.parse(await readFile(path.join(sampleData, 'article', '1.json'), 'utf8')) as unknown;
      const first = await ask(p.port, 'GET article/1');
      const second = await ask(p.port, 'GET article/1');
      expect(first).to.deep.equal({ status: 'OK', data: file, cache_hit: false, node: p.port });
      expect(second).to.deep.equal({ status: 'OK', data: file, cache_hit: true, node: p.port });
    });

    it('treats a leading slash as the same key, so /article/1 is a hit after article/1', async function () {
      await ask(p.port, 'GET article/11');
      const answer = await ask(p.port, 'GET /article/11');
      expect(answer.cache_hit).to.equal(true);
      expect(idOf(answer)).to.equal(11);
    });

    it('passes NOT_FOUND through from the origin and does not cache it', async function () {
      const before = (await metricsOf(p.port)).origin_fetches as number;
      const first = await ask(p.port, 'GET article/424242');
      const second = await ask(p.port, 'GET article/424242');
      expect(first.status).to.equal('NOT_FOUND');
      expect(second.status).to.equal('NOT_FOUND');
      expect((await metricsOf(p.port)).origin_fetches).to.equal(before + 2);
    });

    it('answers WRONG_METHOD for an unknown op', async function () {
      expect((await ask(p.port, 'FROBNICATE article/1')).status).to.equal('WRONG_METHOD');
    });
  });

  describe('METRICS', function () {
    let p: NodeProcess;

    before(async function () {
      p = await proxy();
    });

    it('reports the original fields first, in order, with hit_rate 0 before any request', async function () {
      const data = await metricsOf(p.port);
      expect(Object.keys(data).slice(0, 6)).to.deep.equal(['start_time', 'total_requests', 'hit_rate', 'hits', 'misses', 'origin_fetches']);
      expect(new Date(data.start_time as string).toISOString()).to.equal(data.start_time);
      expect(data).to.include({ total_requests: 0, hit_rate: 0, hits: 0, misses: 0, origin_fetches: 0 });
    });

    it('counts a miss, two hits and one origin fetch, with hit_rate = hits / (hits + misses)', async function () {
      await ask(p.port, 'GET user/1');
      await ask(p.port, 'GET user/1');
      await ask(p.port, 'GET user/1');
      const data = await metricsOf(p.port);
      expect(data).to.include({ total_requests: 3, hits: 2, misses: 1, origin_fetches: 1 });
      expect(data.hit_rate).to.be.closeTo(2 / 3, 1e-9);
    });
  });

  describe('--ttl 1', function () {
    let own: NodeProcess;
    let p: NodeProcess;

    before(async function () {
      own = await nodes.start('origin', ['--port', '0']);
      p = await nodes.start('proxy', ['--port', '0', '--origin-port', String(own.port), '--ttl', '1']);
    });

    it('fetches a key from the origin again once its entry has expired', async function () {
      expect((await ask(p.port, 'GET article/2')).cache_hit).to.equal(false);
      expect((await metricsOf(own.port)).total_requests).to.equal(1);
      // Hits until the entry expires; the first miss after that is the refetch.
      await waitFor('the entry to expire', async () => ((await ask(p.port, 'GET article/2')).cache_hit === false ? true : undefined), 5000, 100);
      const data = await metricsOf(p.port);
      expect(data.origin_fetches).to.equal(2);
      expect(data.misses).to.equal(2);
      expect((await metricsOf(own.port)).total_requests).to.equal(2);
    });
  });

  describe('--cache-type lru --lru-capacity 2', function () {
    let p: NodeProcess;

    beforeEach(async function () {
      p = await proxy('--cache-type', 'lru', '--lru-capacity', '2');
    });

    afterEach(() => p.stop());

    const hits = async (keys: string[]): Promise<boolean[]> => {
      const out: boolean[] = [];
      for (const key of keys) {
        const answer = await ask(p.port, `GET ${key}`);
        expect(answer.status, key).to.equal('OK');
        out.push(answer.cache_hit as boolean);
      }
      return out;
    };

    it('evicts the least recently used key: after a, b, c the key a is a miss again', async function () {
      expect(await hits(['article/1', 'article/2', 'article/3'])).to.deep.equal([false, false, false]);
      expect(await hits(['article/1'])).to.deep.equal([false]);
      // Holding c and a now: c is a hit, b (evicted by a) is a miss.
      expect(await hits(['article/3', 'article/2'])).to.deep.equal([true, false]);
    });

    it('counts a hit as a use: after a, b, a, c the key b is gone and a stays', async function () {
      expect(await hits(['article/1', 'article/2', 'article/1', 'article/3'])).to.deep.equal([false, false, true, false]);
      expect(await hits(['article/1', 'article/3', 'article/2'])).to.deep.equal([true, true, false]);
    });
  });

  it('accepts the original snake_case flags --origin_port --cache_type --lru_capacity', async function () {
    const p = await nodes.start('proxy', ['--port', '0', '--origin_port', String(origin.port), '--cache_type', 'lru', '--lru_capacity', '1']);
    const answers: Answer[] = [];
    for (const key of ['product/1', 'product/2', 'product/1']) answers.push(await ask(p.port, `GET ${key}`));
    expect(answers.map((a) => a.status)).to.deep.equal(['OK', 'OK', 'OK']);
    // Capacity 1: product/2 evicted product/1.
    expect(answers.map((a) => a.cache_hit)).to.deep.equal([false, false, false]);
    expect(answers.map(idOf)).to.deep.equal([1, 2, 1]);
  });

  describe('when the origin goes down', function () {
    let own: NodeProcess;
    let p: NodeProcess;

    before(async function () {
      own = await nodes.start('origin', ['--port', '0']);
      p = await nodes.start('proxy', ['--port', '0', '--origin-port', String(own.port)]);
    });

    it('answers ORIGIN_FAILURE for uncached keys and keeps serving cached ones', async function () {
      expect((await ask(p.port, 'GET article/5')).cache_hit).to.equal(false);
      expect(await own.stop()).to.equal(0);
      const failed = await ask(p.port, 'GET article/6');
      expect(failed.status).to.equal('ORIGIN_FAILURE');
      expect(failed.error).to.be.a('string');
      const cached = await ask(p.port, 'GET article/5');
      expect(cached).to.include({ status: 'OK', cache_hit: true, node: p.port });
      expect(idOf(cached)).to.equal(5);
      // The failure is not cached: the same key fails again rather than hitting.
      expect((await ask(p.port, 'GET article/6')).status).to.equal('ORIGIN_FAILURE');
      expect((await metricsOf(p.port)).origin_errors).to.equal(2);
    });
  });

  describe('in front of a broken origin', function () {
    const servers: SpecServer[] = [];

    afterEach(async () => {
      for (const server of servers.splice(0)) await server.close();
    });

    /** A fake origin that answers every line it reads with `answer(line)`, or says nothing if that is undefined. */
    const fakeOrigin = async (answer: (line: string) => string | undefined): Promise<number> => {
      const server = new SpecServer((socket) => {
        let buffered = '';
        socket.setEncoding('utf8');
        socket.on('data', (text: string) => {
          buffered += text;
          for (let nl = buffered.indexOf('\n'); nl !== -1; nl = buffered.indexOf('\n')) {
            const reply = answer(buffered.slice(0, nl));
            buffered = buffered.slice(nl + 1);
            if (reply !== undefined) socket.write(reply);
          }
        });
      });
      servers.push(server);
      return server.listen();
    };

    const cases: Array<[string, (line: string) => string | undefined, string[]]> = [
      ['a non-JSON line', () => 'hello, this is not json\n', []],
      ['a line that looks like an object but does not parse', () => '{this is not json}\n', []],
      ['a JSON object without a status', () => '{"data":{"id":1}}\n', []],
      ['binary bytes', () => '\u0000\u00ff\u0001\n', []],
      ['nothing at all', () => undefined, ['--origin-timeout', '300']],
    ];
    for (const [name, answer, extra] of cases) {
      it(`answers ORIGIN_FAILURE when the origin answers ${name}, and keeps serving`, async function () {
        const port = await fakeOrigin(answer);
        const p = await nodes.start('proxy', ['--port', '0', '--origin-port', String(port), ...extra]);
        const first = await ask(p.port, 'GET article/1');
        expect(first.status).to.equal('ORIGIN_FAILURE');
        const conn = await open(p.port);
        try {
          conn.send('GET article/1\nMETRICS\n');
          const [again, metrics] = await conn.reader.readAnswers(2);
          expect(again!.status).to.equal('ORIGIN_FAILURE');
          expect(metrics!.status).to.equal('OK');
        } finally {
          conn.close();
        }
        await p.stop();
      });
    }

    it('answers ORIGIN_FAILURE when the origin closes every connection without answering', async function () {
      const server = new SpecServer((socket) => socket.end());
      servers.push(server);
      const port = await server.listen();
      const p = await nodes.start('proxy', ['--port', '0', '--origin-port', String(port)]);
      expect((await ask(p.port, 'GET article/1')).status).to.equal('ORIGIN_FAILURE');
      expect((await ask(p.port, 'METRICS')).status).to.equal('OK');
      await p.stop();
    });
  });
});
