import { expect } from 'chai';
import { classifyHttp, keepAliveAgent, timedHttpGets } from '../lib/http-gets.js';
import { originCountsOf, startJsonOrigin } from '../lib/json-origin.js';
import { closedPort } from '../../spec/integration/helpers.js';

describe('classifyHttp', () => {
  it('counts a 200 of JSON as OK, any other 200 as GARBAGE, other codes by number', () => {
    expect(classifyHttp(200, '{"key":"a"}', undefined)).to.deep.equal({ status: 'OK' });
    expect(classifyHttp(200, '<html>', undefined)).to.deep.equal({ status: 'GARBAGE' });
    expect(classifyHttp(502, '{"error":"x"}', undefined)).to.deep.equal({ status: 'HTTP_502' });
  });

  it("reads a hit or a miss from nginx's X-Cache-Status", () => {
    expect(classifyHttp(200, '{}', 'HIT').cacheHit).to.equal(true);
    expect(classifyHttp(200, '{}', 'MISS').cacheHit).to.equal(false);
    expect(classifyHttp(200, '{}', 'EXPIRED').cacheHit).to.equal(false);
  });
});

describe('timedHttpGets', () => {
  it('asks every path over the agent\'s connections, times each answer, and leaves them open for the next run', async () => {
    const origin = await startJsonOrigin({ host: '127.0.0.1', port: 0, delayMs: 0, maxAgeS: 60, base: '/base/' });
    const agent = keepAliveAgent(3);
    try {
      const requests = (run: number) => Array.from({ length: 12 }, (_, i) => ({ key: `k${i}`, path: `/base/r${run}-k${i}` }));
      for (const run of [1, 2]) {
        const results = await timedHttpGets({ port: origin.address.port, requests: requests(run), agent, deadlineMs: 30_000 });
        expect(results.map((r) => r.key)).to.deep.equal(requests(run).map((r) => r.key));
        for (const r of results) {
          expect(r.status, r.key).to.equal('OK');
          expect(r.answeredMs! >= r.sentMs!, r.key).to.equal(true);
        }
      }
      const counts = await originCountsOf(origin.address.port);
      expect(counts.gets).to.equal(24);
      // The same three connections carried both runs: none closed, none more opened.
      expect(counts).to.deep.include({ connections: 3, maxConnections: 3 });
    } finally {
      agent.destroy();
      await origin.drain();
    }
  });

  it('resolves with NO_ANSWER for every request when nothing listens', async () => {
    const port = await closedPort();
    const agent = keepAliveAgent(2);
    const results = await timedHttpGets({ port, requests: [{ key: 'a', path: '/base/a' }, { key: 'b', path: '/base/b' }], agent, deadlineMs: 30_000 });
    agent.destroy();
    expect(results.map((r) => r.status)).to.deep.equal(['NO_ANSWER', 'NO_ANSWER']);
  });
});
