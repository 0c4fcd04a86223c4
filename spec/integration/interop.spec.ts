// Interop with the original Python system's manners: peers that answer one request per
// connection and close, and a client that sends one line, reads one line and hangs up.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { NodeProcess } from '../../lib/cluster/process.js';
import { Client } from '../../lib/client/client.js';
import { Nodes, OneShotPeer, ask, metricsOf, open, sampleData, waitFor, type Answer, type Manners } from './helpers.js';

/** The original origin's answers, from the sample data. */
function originAnswer(line: string): object {
  const key = line.slice(line.indexOf(' ') + 1);
  try {
    return { status: 'OK', data: JSON.parse(readFileSync(path.join(sampleData, `${key}.json`), 'utf8')) as unknown };
  } catch {
    return { status: 'NOT_FOUND', data: `no file for ${key}` };
  }
}

/** The original proxy's answers: METRICS with its counters, GET as a (made-up) miss naming itself. */
function proxyAnswer(): (line: string, port: number) => object {
  let total = 0;
  return (line, port) => {
    if (line === 'METRICS') {
      return { status: 'OK', data: { start_time: new Date(0).toISOString(), total_requests: total, hit_rate: 0, hits: 0, misses: total, origin_fetches: total } };
    }
    total++;
    const answer = originAnswer(line) as { status: string; data: unknown };
    return { ...answer, cache_hit: false, node: port };
  };
}

const idOf = (answer: Answer): unknown => (answer.data as { id?: unknown } | null)?.id;

describe('interop with one-request-per-connection peers (integration)', function () {
  const nodes = new Nodes();
  const peers: OneShotPeer[] = [];

  after(async () => {
    await nodes.stopAll();
    for (const peer of peers.splice(0)) await peer.close();
  });

  const peer = async (answer: (line: string, port: number) => object, manners: Manners = {}): Promise<OneShotPeer> => {
    // The original nodes take a few milliseconds to answer.
    const p = new OneShotPeer(answer, { answerDelayMs: 5, ...manners });
    peers.push(p);
    await p.listen();
    return p;
  };

  /** `count` GETs from `clients` concurrent clients, each pipelining its share on one connection. */
  const concurrently = async (port: number, keys: string[], clients: number): Promise<Answer[]> => {
    const answers: Answer[] = new Array(keys.length);
    await Promise.all(
      Array.from({ length: clients }, async (_, c) => {
        const client = new Client({ port, timeout: 5000 });
        try {
          const mine = keys.map((key, i) => [key, i] as const).filter(([, i]) => i % clients === c);
          const got = await Promise.all(mine.map(([key]) => client.get(key)));
          mine.forEach(([, i], j) => (answers[i] = got[j] as Answer));
        } finally {
          client.close();
        }
      }),
    );
    return answers;
  };

  const origins: Array<[string, Manners]> = [
    ['a one-shot origin', {}],
    ['a one-shot origin that ends its answer by closing, without a newline', { newline: false }],
    ['a one-shot origin that closes a moment after answering', { closeDelayMs: 15 }],
  ];
  for (const [name, manners] of origins) {
    describe(`our proxy in front of ${name}`, function () {
      let origin: OneShotPeer;
      let proxy: NodeProcess;

      before(async function () {
        origin = await peer(originAnswer, manners);
        proxy = await nodes.start('proxy', ['--port', '0', '--origin-port', String(origin.port)]);
      });

      /** The origin saw only `GET <key>` lines, and the proxy counted no failed fetch. */
      const expectCleanFetches = async (): Promise<void> => {
        expect(origin.violations).to.deep.equal([]);
        for (const line of origin.seen) expect(line).to.match(/^GET [a-z]+\/\d+$/);
        expect((await metricsOf(proxy.port)).origin_errors).to.equal(0);
      };

      it('serves many sequential misses without an error', async function () {
        for (let i = 1; i <= 30; i++) {
          const answer = await ask(proxy.port, `GET article/${i}`);
          expect(answer.status, `article/${i}`).to.equal('OK');
          expect(idOf(answer)).to.equal(i);
          expect(answer.cache_hit).to.equal(false);
        }
        await expectCleanFetches();
      });

      it('serves many concurrent misses without an error, one origin fetch per key', async function () {
        const before = (await metricsOf(proxy.port)).origin_fetches as number;
        const keys = Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? `article/${100 + i}` : `user/${1 + i}`));
        const answers = await concurrently(proxy.port, keys, 4);
        expect(answers.map((a) => a.status)).to.deep.equal(keys.map(() => 'OK'));
        expect(answers.map(idOf)).to.deep.equal(keys.map((k) => Number(k.split('/')[1])));
        expect((await metricsOf(proxy.port)).origin_fetches).to.equal(before + keys.length);
        await expectCleanFetches();
      });

      it('serves waves of concurrent misses without an error while answered connections are closing', async function () {
        // A proxy of its own, whose link has not yet learned that this origin is one-shot.
        const fresh = await nodes.start('proxy', ['--port', '0', '--origin-port', String(origin.port)]);
        const client = new Client({ port: fresh.port, timeout: 5000 });
        try {
          for (let wave = 0; wave < 8; wave++) {
            const keys = Array.from({ length: wave % 2 === 0 ? 4 : 3 }, (_, i) => `article/${200 + wave * 4 + i}`);
            const answers = (await Promise.all(keys.map((k) => client.get(k)))) as Answer[];
            expect(answers.map((a) => a.status), `wave ${wave}`).to.deep.equal(keys.map(() => 'OK'));
            expect(answers.map(idOf)).to.deep.equal(keys.map((k) => Number(k.split('/')[1])));
          }
        } finally {
          client.close();
        }
        expect(origin.violations).to.deep.equal([]);
        expect((await metricsOf(fresh.port)).origin_errors).to.equal(0);
        await fresh.stop();
      });

      it('passes the one-shot origin\'s NOT_FOUND through', async function () {
        expect((await ask(proxy.port, 'GET article/123456')).status).to.equal('NOT_FOUND');
        await expectCleanFetches();
      });
    });
  }

  describe('our balancer in front of one-shot proxies', function () {
    let proxies: OneShotPeer[];
    let lb: NodeProcess;

    before(async function () {
      proxies = [await peer(proxyAnswer()), await peer(proxyAnswer()), await peer(proxyAnswer())];
      lb = await nodes.start('load-balancer', ['--port', '0', '--health-interval', '100', '--proxies', ...proxies.map((p) => `127.0.0.1:${p.port}`)]);
    });

    it('serves many sequential requests without an error, spread over every proxy', async function () {
      const seen = new Set<unknown>();
      for (let i = 1; i <= 30; i++) {
        const answer = await ask(lb.port, `GET product/${i}`);
        expect(answer.status, `product/${i}`).to.equal('OK');
        expect(idOf(answer)).to.equal(i);
        seen.add(answer.node);
      }
      expect([...seen]).to.have.members(proxies.map((p) => p.port));
    });

    it('serves many concurrent requests without an error', async function () {
      const keys = Array.from({ length: 90 }, (_, i) => `article/${1 + i}`);
      const answers = await concurrently(lb.port, keys, 6);
      expect(answers.map((a) => a.status)).to.deep.equal(keys.map(() => 'OK'));
      expect(answers.map(idOf)).to.deep.equal(keys.map((_k, i) => 1 + i));
    });

    it('keeps every one-shot proxy healthy and reports its polled metrics', async function () {
      const reports = await waitFor(
        'metrics from every proxy',
        async () => {
          const r = (await metricsOf(lb.port)).proxies as Record<string, { healthy: boolean; metrics: { total_requests?: number } | null }>;
          return Object.values(r).every((p) => p.healthy && p.metrics !== null && (p.metrics.total_requests ?? 0) > 0) ? r : undefined;
        },
        5000,
      );
      expect(Object.keys(reports)).to.have.length(3);
      for (const p of proxies) {
        expect(p.violations).to.deep.equal([]);
        for (const line of p.seen) expect(line).to.match(/^(METRICS|GET [a-z]+\/\d+)$/);
      }
    });
  });

  describe('a Python-style client (connect, one line, read one line, close)', function () {
    let lb: NodeProcess;
    let proxy: NodeProcess;

    before(async function () {
      const origin = await nodes.start('origin', ['--port', '0']);
      proxy = await nodes.start('proxy', ['--port', '0', '--origin-port', String(origin.port)]);
      lb = await nodes.start('load-balancer', ['--port', '0', '--health-interval', '100', '--proxies', `127.0.0.1:${proxy.port}`]);
    });

    const pythonClient = async (port: number, line: string): Promise<Answer> => {
      const conn = await open(port);
      try {
        conn.send(`${line}\n`);
        return await conn.reader.readAnswer();
      } finally {
        conn.close();
      }
    };

    it('gets OK for GET /article/1 from our balancer', async function () {
      const answer = await pythonClient(lb.port, 'GET /article/1');
      expect(answer.status).to.equal('OK');
      expect(idOf(answer)).to.equal(1);
      expect(answer.node).to.equal(proxy.port);
    });

    it('gets an answer every time over many such clients in a row', async function () {
      for (let i = 1; i <= 20; i++) {
        const answer = await pythonClient(lb.port, `GET /user/${i}`);
        expect(answer.status).to.equal('OK');
        expect(idOf(answer)).to.equal(i);
      }
    });

    it('gets the balancer METRICS, and a proxy METRICS with total_requests as the original balancer reads it', async function () {
      const lbMetrics = await pythonClient(lb.port, 'METRICS');
      expect(lbMetrics.status).to.equal('OK');
      expect(lbMetrics.data).to.include.keys('strategy', 'current_index', 'proxies');
      const proxyMetrics = await pythonClient(proxy.port, 'METRICS');
      expect(proxyMetrics.status).to.equal('OK');
      expect((proxyMetrics.data as { total_requests: unknown }).total_requests).to.be.a('number').at.least(21);
    });
  });
});
