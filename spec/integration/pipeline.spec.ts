// Pipelining over real TCP: many requests in one write come back in order, or matched by id.
import { expect } from 'chai';
import type { NodeProcess } from '../../lib/cluster/process.js';
import { Nodes, ask, open, type Answer } from './helpers.js';

/** 100 keys over the three collections, with repeats, so hits and misses interleave. */
function mixedKeys(): string[] {
  const keys: string[] = [];
  for (let i = 0; i < 100; i++) {
    const n = (i * 37) % 50 + 1;
    keys.push(i % 3 === 0 ? `article/${n}` : i % 3 === 1 ? `user/${n}` : `product/${n}`);
  }
  return keys;
}

const idOf = (key: string): number => Number(key.slice(key.indexOf('/') + 1));

describe('pipelined requests (integration)', function () {
  const nodes = new Nodes();
  const targets: Record<string, number> = {};

  before(async function () {
    // A little origin latency keeps misses in flight while later hits are already answered.
    const origin = await nodes.start('origin', ['--port', '0', '--latency', '20']);
    const proxies: NodeProcess[] = [];
    for (let i = 0; i < 3; i++) proxies.push(await nodes.start('proxy', ['--port', '0', '--origin-port', String(origin.port)]));
    const balancer = await nodes.start('load-balancer', [
      '--port', '0', '--health-interval', '100',
      '--proxies', ...proxies.map((p) => `127.0.0.1:${p.port}`),
    ]);
    targets.origin = origin.port;
    targets.proxy = proxies[0]!.port;
    targets.balancer = balancer.port;
    // Warm a few keys so the pipelined batch mixes hits with misses.
    for (const key of ['article/1', 'user/38', 'product/25']) {
      await ask(targets.proxy, `GET ${key}`);
      for (let i = 0; i < 3; i++) await ask(targets.balancer, `GET ${key}`);
    }
  });

  after(() => nodes.stopAll());

  for (const target of ['origin', 'proxy', 'balancer']) {
    it(`answers 100 text GETs written at once to the ${target} in request order`, async function () {
      const keys = mixedKeys();
      const conn = await open(targets[target]!);
      try {
        conn.send(keys.map((k) => `GET ${k}\n`).join(''));
        const answers = await conn.reader.readAnswers(keys.length);
        expect(answers.map((a) => a.status)).to.deep.equal(keys.map(() => 'OK'));
        expect(answers.map((a) => (a.data as { id: number }).id)).to.deep.equal(keys.map(idOf));
        if (target !== 'origin') {
          const hits = answers.filter((a) => a.cache_hit === true).length;
          expect(hits, 'the batch mixes hits and misses').to.be.within(1, keys.length - 1);
        }
      } finally {
        conn.close();
      }
    });

    it(`echoes the id of each of 100 JSON GETs written at once to the ${target}`, async function () {
      // Mostly keys the text batch did not ask for (user has 100 documents, product only 50).
      const shift: Record<string, number> = { article: 100, user: 50, product: 0 };
      const keys = mixedKeys().map((k) => {
        const [kind, n] = k.split('/') as [string, string];
        return `${kind}/${Number(n) + shift[kind]!}`;
      });
      const ids = keys.map((_k, i) => (i % 2 === 0 ? i : `req-${i}`));
      const conn = await open(targets[target]!);
      try {
        conn.send(keys.map((key, i) => `${JSON.stringify({ op: 'GET', key, id: ids[i] })}\n`).join(''));
        const answers = await conn.reader.readAnswers(keys.length);
        const byId = new Map<unknown, Answer>(answers.map((a) => [a.id, a]));
        expect(byId.size).to.equal(keys.length);
        keys.forEach((key, i) => {
          const answer = byId.get(ids[i]);
          expect(answer, `answer for id ${String(ids[i])}`).to.not.equal(undefined);
          expect(answer!.status).to.equal('OK');
          expect((answer!.data as { id: number }).id, key).to.equal(idOf(key));
        });
      } finally {
        conn.close();
      }
    });
  }

  it('keeps order when text requests, JSON requests and rejections are mixed on one connection', async function () {
    const conn = await open(targets.balancer!);
    try {
      conn.send('GET article/200\n\nGET user/99\nBOGUS\n{"op":"GET","key":"product/49","id":"x"}\nGET article/201\nMETRICS\n');
      const answers = await conn.reader.readAnswers(7);
      const withId = answers.filter((a) => a.id !== undefined);
      const inOrder = answers.filter((a) => a.id === undefined);
      expect(withId).to.have.length(1);
      expect((withId[0]!.data as { id: number }).id).to.equal(49);
      expect(inOrder.map((a) => a.status)).to.deep.equal(['OK', 'BAD_REQUEST', 'OK', 'WRONG_METHOD', 'OK', 'OK']);
      expect([inOrder[0], inOrder[2], inOrder[4]].map((a) => (a!.data as { id: number }).id)).to.deep.equal([200, 99, 201]);
      expect(inOrder[5]!.data).to.have.property('strategy');
    } finally {
      conn.close();
    }
  });
});
