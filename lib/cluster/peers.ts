// Introduces a cluster's proxies to each other: each is told the others as peers, by ADD_PEER.
import { Client } from '../client/client.js';
import { parseAddress } from '../protocol/address.js';

/**
 * Sends every proxy in `proxies` (`host:port`) one ADD_PEER, with `token`, for each of the others,
 * so a miss the balancer spills from one to another is filled from the first (peer fill). At
 * runtime rather than by --peers, for proxies whose ports are known only once they listen
 * (bin/cluster picks its ports first and gives --peers).
 * Rejects naming the first proxy that did not answer OK.
 */
export async function introducePeers(proxies: readonly string[], token: string): Promise<void> {
  await Promise.all(
    proxies.map(async (proxy) => {
      const client = new Client({ ...parseAddress(proxy), timeout: 5000 });
      try {
        for (const peer of proxies) {
          if (peer === proxy) continue;
          const answer = await client.send({ op: 'ADD_PEER', address: peer, token });
          if (answer.status !== 'OK') throw new Error(`${proxy} refused ADD_PEER ${peer}: ${JSON.stringify(answer)}`);
        }
      } finally {
        client.close();
      }
    }),
  );
}
