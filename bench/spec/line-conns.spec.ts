import { expect } from 'chai';
import { LineConnections } from '../lib/line-conns.js';
import { startScriptedOrigin, type OriginCounts } from '../lib/scripted-origin.js';
import type { RunningNode } from '../../lib/net/lifecycle.js';
import { ask, closedPort, waitFor } from '../../spec/integration/helpers.js';

describe('LineConnections', () => {
  let origin: RunningNode;
  let port: number;

  beforeEach(async () => {
    origin = await startScriptedOrigin({ host: '127.0.0.1', port: 0, delayMs: 0 });
    port = origin.address.port;
  });

  afterEach(() => origin.drain());

  const metrics = async (): Promise<OriginCounts> => (await ask(port, 'METRICS')).data as OriginCounts;

  it('asks every key once, one at a time per connection, and keeps the same connections for the next run', async () => {
    // Slow enough that GETs sent ahead of their answers would pile up at the origin.
    await ask(port, 'DELAY 20');
    const conns = await LineConnections.open(port, 3);
    try {
      expect(conns.size).to.equal(3);
      for (const run of [1, 2]) {
        const keys = Array.from({ length: 7 }, (_, i) => `r${run}/k${i}`);
        const results = await conns.run(keys, 30_000);
        expect(results.map((r) => r.key)).to.deep.equal(keys);
        for (const r of results) expect(r.status, r.key).to.equal('OK');
      }
      // The same three connections carried both runs, one GET at a time on each.
      const counts = await metrics();
      expect(counts).to.deep.include({ gets: 14, connections: 3, maxConnections: 3 });
      expect(counts.maxInFlight).to.be.at.most(3);
    } finally {
      conns.close();
    }
  });

  it('counts the keys of a connection the server closed as NO_ANSWER and still resolves', async () => {
    const conns = await LineConnections.open(port, 2);
    await ask(port, 'DELAY 60000');
    const running = conns.run(['a', 'b', 'c', 'd'], 30_000);
    await waitFor('both GETs to arrive', async () => ((await metrics()).gets === 2 ? true : undefined));
    await origin.drain();
    const results = await running;
    expect(results.map((r) => r.status)).to.deep.equal(['NO_ANSWER', 'NO_ANSWER', 'NO_ANSWER', 'NO_ANSWER']);
    expect(results.filter((r) => r.sentMs !== undefined).map((r) => r.key)).to.deep.equal(['a', 'b']);
    conns.close();
  });

  it('rejects when a connection cannot be opened', async () => {
    const error = await LineConnections.open(await closedPort(), 2).then(
      () => undefined,
      (err: Error) => err,
    );
    expect(error?.message).to.match(/ECONNREFUSED/);
  });
});
