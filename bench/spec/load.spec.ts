import { expect } from 'chai';
import { startLineServer } from '../lib/floor/line-server.js';
import { runLoad, type LoadOptions } from '../lib/load.js';
import type { RunningNode } from '../../lib/net/lifecycle.js';

// Short real runs against an in-process line server: every request must be answered OK. Nothing
// here asserts on speed.
describe('runLoad', () => {
  let server: RunningNode;
  let base: LoadOptions;
  before(async () => {
    const documents = new Map(Array.from({ length: 10 }, (_, i) => [`k${i + 1}`, `{"n":${i + 1}}`] as const));
    server = await startLineServer({ host: '127.0.0.1', port: 0, documents });
    let n = 0;
    base = { host: '127.0.0.1', port: server.address.port, mode: 'persistent', depth: 1, conns: 4, durationMs: 300, warmupMs: 100, nextKey: () => `k${(n++ % 10) + 1}` };
  });
  after(() => server.drain());

  for (const [mode, depth] of [['oneshot', 1], ['persistent', 1], ['pipeline', 8]] as const) {
    it(`answers every request OK in ${mode} mode, all of them hits`, async () => {
      const result = await runLoad({ ...base, mode, depth });
      expect(result.mode).to.equal(mode);
      expect(result.depth).to.equal(depth);
      expect(result.requests).to.be.above(0);
      expect(result.ok).to.equal(result.requests);
      expect(result.errors).to.deep.equal({});
      expect(result.hitRatio).to.equal(1);
    });
  }

  it('answers every request OK at a fixed open-loop rate, and says which rate it asked for', async () => {
    const result = await runLoad({ ...base, rate: 2000 });
    expect(result.rate).to.equal(2000);
    expect(result.requests).to.be.above(0);
    expect(result.ok).to.equal(result.requests);
  });

  for (const [mode, depth, rate] of [['oneshot', 1, undefined], ['pipeline', 8, undefined], ['persistent', 1, 2000]] as const) {
    it(`hands onAnswer each request's key with its own answer in ${rate === undefined ? mode : 'open-loop'} mode`, async () => {
      const pairs: [string, string | undefined][] = [];
      const result = await runLoad({ ...base, mode, depth, ...(rate === undefined ? {} : { rate }), onAnswer: (key, answer) => void pairs.push([key, answer]) });
      expect(pairs.length).to.be.at.least(result.requests).and.above(0);
      // Key kN has the document {"n":N}.
      for (const [key, answer] of pairs) expect((JSON.parse(answer!) as { data: { n: number } }).data.n, key).to.equal(Number(key.slice(1)));
    });
  }

  it('counts the answers that are not OK by status', async () => {
    const result = await runLoad({ ...base, nextKey: () => 'missing' });
    expect(result.ok).to.equal(0);
    expect(result.errors).to.deep.equal({ NOT_FOUND: result.requests });
  });
});
