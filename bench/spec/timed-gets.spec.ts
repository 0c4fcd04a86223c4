import { expect } from 'chai';
import type { RunningNode } from '../../lib/net/lifecycle.js';
import { startScriptedOrigin } from '../lib/scripted-origin.js';
import { askLine, timedGets, timedGetsApart } from '../lib/timed-gets.js';
import { ask, closedPort, SpecServer } from '../../spec/integration/helpers.js';

describe('timedGets', () => {
  let origin: RunningNode;
  let port: number;

  beforeEach(async () => {
    origin = await startScriptedOrigin({ host: '127.0.0.1', port: 0, delayMs: 0 });
    port = origin.address.port;
  });

  afterEach(() => origin.drain());

  const gets = async (): Promise<number> => ((await ask(port, 'METRICS')).data as { gets: number }).gets;

  it('sends every key, spread over the connections, and matches each answer to its request', async () => {
    const keys = Array.from({ length: 50 }, (_, i) => `k/${i}`);
    const results = await timedGets({ port, keys, conns: 3, window: 4, deadlineMs: 10_000 });
    expect(results.map((r) => r.key)).to.deep.equal(keys);
    expect(results.every((r) => r.status === 'OK' && r.sentMs !== undefined && r.answeredMs! >= r.sentMs)).to.equal(true);
    expect(await gets()).to.equal(50);
  });

  it('sends on a schedule with a rate, whatever is in flight', async () => {
    const keys = Array.from({ length: 20 }, (_, i) => `k/${i}`);
    const results = await timedGets({ port, keys, conns: 2, window: 1, rate: 1000, deadlineMs: 10_000 });
    expect(results.filter((r) => r.status === 'OK')).to.have.length(20);
  });

  it('runs on a worker thread of its own with the same options and results', async () => {
    const keys = Array.from({ length: 20 }, (_, i) => `w/${i}`);
    const results = await timedGetsApart({ port, keys, conns: 2, window: Infinity, rate: 1000, deadlineMs: 10_000 });
    expect(results.map((r) => r.key)).to.deep.equal(keys);
    expect(results.every((r) => r.status === 'OK' && r.sentMs !== undefined && r.answeredMs! >= r.sentMs)).to.equal(true);
    expect(await gets()).to.equal(20);
  });

  it('gives up at the deadline: what was not answered is NO_ANSWER', async () => {
    await ask(port, 'DELAY 60000');
    const results = await timedGets({ port, keys: ['a', 'b'], conns: 1, window: Infinity, deadlineMs: 300 });
    expect(results.map((r) => [r.status, r.answeredMs])).to.deep.equal([
      ['NO_ANSWER', undefined],
      ['NO_ANSWER', undefined],
    ]);
  });

  it('counts requests of a connection the server closed, or never opened, as NO_ANSWER', async () => {
    const closing = new SpecServer((socket) => socket.once('data', () => socket.destroy()));
    const closingPort = await closing.listen();
    try {
      const results = await timedGets({ port: closingPort, keys: ['a', 'b', 'c'], conns: 1, window: 1, deadlineMs: 60_000 });
      expect(results.map((r) => r.status)).to.deep.equal(['NO_ANSWER', 'NO_ANSWER', 'NO_ANSWER']);
      expect(results[1]!.sentMs).to.equal(undefined);
    } finally {
      await closing.close();
    }
    const refused = await timedGets({ port: await closedPort(), keys: ['a'], conns: 1, window: 1, deadlineMs: 60_000 });
    expect(refused.map((r) => r.status)).to.deep.equal(['NO_ANSWER']);
  });

  it('reads cache_hit from each answer when it has one', async () => {
    const proxyLike = new SpecServer((socket) =>
      socket.on('data', () => socket.write('{"status":"OK","data":1,"cache_hit":true}\n{"status":"OK","data":1,"cache_hit":false}\n{"status":"NOT_FOUND"}\n')),
    );
    const proxyPort = await proxyLike.listen();
    try {
      const results = await timedGets({ port: proxyPort, keys: ['a', 'b', 'c'], conns: 1, window: Infinity, deadlineMs: 10_000 });
      expect(results.map((r) => [r.status, r.cacheHit])).to.deep.equal([
        ['OK', true],
        ['OK', false],
        ['NOT_FOUND', undefined],
      ]);
    } finally {
      await proxyLike.close();
    }
  });
});

describe('askLine', () => {
  it('resolves with the parsed answer to one line', async () => {
    const origin = await startScriptedOrigin({ host: '127.0.0.1', port: 0, delayMs: 0 });
    try {
      expect(await askLine(origin.address.port, 'GET x')).to.deep.equal({ status: 'OK', data: { key: 'x' } });
    } finally {
      await origin.drain();
    }
  });

  it('rejects when nothing listens', async () => {
    let failed = false;
    await askLine(await closedPort(), 'METRICS').catch(() => (failed = true));
    expect(failed).to.equal(true);
  });
});
