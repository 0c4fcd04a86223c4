import { expect } from 'chai';
import { startLineServer } from '../lib/floor/line-server.js';
import { fetchAll } from '../lib/warm.js';
import type { RunningNode } from '../../lib/net/lifecycle.js';

describe('fetchAll', () => {
  let server: RunningNode;
  before(async () => {
    const documents = new Map(Array.from({ length: 500 }, (_, i) => [`k${i}`, `{"n":${i}}`] as const));
    server = await startLineServer({ host: '127.0.0.1', port: 0, documents });
  });
  after(() => server.drain());

  it('asks for every key once and counts the answers by status', async () => {
    const keys = [...Array.from({ length: 500 }, (_, i) => `k${i}`), 'missing/1', 'missing/2'];
    expect(await fetchAll({ port: server.address.port, keys, conns: 3, window: 7 })).to.deep.equal({ OK: 500, NOT_FOUND: 2 });
  });

  it('rejects when the node is not there', async () => {
    await server.drain();
    let failed = false;
    await fetchAll({ port: server.address.port, keys: ['k1'] }).catch(() => (failed = true));
    expect(failed).to.equal(true);
  });
});
