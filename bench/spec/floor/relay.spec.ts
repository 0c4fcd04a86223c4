import { expect } from 'chai';
import { startLineServer } from '../../lib/floor/line-server.js';
import { startRelay } from '../../lib/floor/relay.js';
import type { RunningNode } from '../../../lib/net/lifecycle.js';
import { open } from '../../../spec/integration/helpers.js';

const documents = new Map(Array.from({ length: 20 }, (_, i) => [`k${i}`, JSON.stringify({ n: i })] as const));

describe('floor relay', () => {
  let servers: RunningNode[];
  let relay: RunningNode;

  beforeEach(async () => {
    servers = await Promise.all([0, 1].map(() => startLineServer({ host: '127.0.0.1', port: 0, documents })));
    relay = await startRelay({ host: '127.0.0.1', port: 0, upstreams: servers.map((s) => ({ host: '127.0.0.1', port: s.address.port })) });
  });

  afterEach(async () => {
    await relay.drain();
    await Promise.all(servers.map((s) => s.drain()));
  });

  it('sends each line to the next upstream in turn', async () => {
    const conn = await open(relay.address.port);
    conn.send('GET k0\nGET k1\nGET k2\nGET k3\n');
    const nodes = (await conn.reader.readAnswers(4)).map((a) => a.node);
    const [a, b] = servers.map((s) => s.address.port);
    expect([[a, b, a, b], [b, a, b, a]]).to.deep.include(nodes);
    conn.close();
  });

  it("answers each client's pipelined lines in its order, across upstreams and clients", async () => {
    const conns = await Promise.all([0, 1, 2].map(() => open(relay.address.port)));
    conns.forEach((conn, c) => conn.send(Array.from({ length: 20 }, (_, i) => `GET k${(i + c) % 20}\n`).join('')));
    for (const [c, conn] of conns.entries()) {
      const answers = await conn.reader.readAnswers(20);
      expect(answers.map((a) => (a.data as { n: number }).n)).to.deep.equal(Array.from({ length: 20 }, (_, i) => (i + c) % 20));
      conn.close();
    }
  });

  it('passes answers on unchanged, NOT_FOUND included', async () => {
    const conn = await open(relay.address.port);
    conn.send('GET nothing\n');
    expect((await conn.reader.readAnswer()).status).to.equal('NOT_FOUND');
    conn.close();
  });

  it('fails the requests caught on a lost upstream connection and keeps answering on the others', async () => {
    const conn = await open(relay.address.port);
    conn.send('GET k0\nGET k1\n');
    await conn.reader.readAnswers(2);
    await servers[0]!.drain();
    conn.send('GET k2\nGET k3\nGET k4\nGET k5\n');
    const statuses = (await conn.reader.readAnswers(4)).map((a) => a.status);
    expect(statuses.filter((s) => s === 'OK')).to.have.length.of.at.least(2);
    expect(statuses.every((s) => s === 'OK' || s === 'PROXY_UNREACHABLE')).to.equal(true);
    conn.close();
  });
});
