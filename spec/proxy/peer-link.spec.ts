import { expect } from 'chai';
import { firstValueFrom } from 'rxjs';
import { UpstreamLink } from '../../lib/net/upstream.js';
import { parseAddress } from '../../lib/protocol/address.js';
import { peerLinks } from '../../lib/proxy/peer-link.js';
import { realClock } from '../../lib/time/clock.js';
import { closedPort, onLines, SpecServer } from '../integration/helpers.js';

describe('peerLinks', () => {
  let peer: SpecServer;
  const seen: string[] = [];
  beforeEach(async () => {
    seen.length = 0;
    // A peer in our style: JSON lines, answered with the id echoed, an OK with a ttl for every key.
    peer = new SpecServer((socket) =>
      onLines(socket, (line) => {
        seen.push(line);
        const { key, id } = JSON.parse(line) as { key: string; id?: number };
        const answer = { status: 'OK', data: { key }, cache_hit: true, node: 8002, ttl: 12.5 };
        socket.write(`${JSON.stringify(id === undefined ? answer : { ...answer, id })}\n`);
      }),
    );
    await peer.listen();
  });
  afterEach(() => peer.close());

  const open = (address: string) => new UpstreamLink({ ...parseAddress(address), clock: realClock, requestTimeout: 1000, ids: true });

  it('asks the peer as JSON marked "peer":true, on one link per peer, and reads its ttl', async () => {
    const links = peerLinks(open);
    try {
      const address = `127.0.0.1:${peer.port}`;
      const outcomes = [];
      for (const key of ['a', 'b', 'c']) outcomes.push(await firstValueFrom(links.port(address, key)));
      expect(outcomes).to.deep.equal(['a', 'b', 'c'].map((key) => ({ kind: 'ok', data: JSON.stringify({ key }), ttl: 12_500 })));
      expect(seen.map((line) => JSON.parse(line) as Record<string, unknown>).map(({ id: _id, ...rest }) => rest)).to.deep.equal(
        ['a', 'b', 'c'].map((key) => ({ op: 'GET', key, peer: true })),
      );
    } finally {
      links.close();
    }
  });

  it('gives a failure, for the fetcher to go to the origin, when the peer cannot be reached', async () => {
    const links = peerLinks(open);
    try {
      expect(await firstValueFrom(links.port(`127.0.0.1:${await closedPort()}`, 'a'))).to.deep.equal({ kind: 'failure', reason: 'peer refused', cause: 'conn-failure' });
    } finally {
      links.close();
    }
  });

  it('gives a peer that does not answer in time response-timeout, and one that answers a failure error-status', async () => {
    const quiet = new SpecServer(() => undefined);
    const failing = new SpecServer((socket) =>
      onLines(socket, (line) => {
        const { id } = JSON.parse(line) as { id: number };
        socket.write(`${JSON.stringify({ status: 'ORIGIN_FAILURE', error: 'origin timed out', id })}\n`);
      }),
    );
    await quiet.listen();
    await failing.listen();
    const links = peerLinks((address) => new UpstreamLink({ ...parseAddress(address), clock: realClock, requestTimeout: 100, ids: true }));
    try {
      expect(await firstValueFrom(links.port(`127.0.0.1:${quiet.port}`, 'a'))).to.deep.equal({ kind: 'failure', reason: 'peer timeout', cause: 'response-timeout' });
      expect(await firstValueFrom(links.port(`127.0.0.1:${failing.port}`, 'a'))).to.deep.equal({
        kind: 'failure',
        reason: 'origin answered ORIGIN_FAILURE',
        cause: 'error-status',
      });
    } finally {
      links.close();
      await quiet.close();
      await failing.close();
    }
  });
});
