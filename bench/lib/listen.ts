// How the bench's origins listen and stop: a backlog large enough for a cache's burst of connects, and every connection dropped at the end.
import type net from 'node:net';
import type { RunningNode } from '../../lib/net/lifecycle.js';

/**
 * Connections the kernel queues for an origin before it accepts them. A cache in front opens a
 * connection per cold key in flight, all at once: past Node's default backlog (511) the rest would
 * wait out a SYN retransmit, a second, and time the origin, not the cache. The kernel caps it at
 * net.core.somaxconn (4096 on this machine's kernel).
 */
export const ORIGIN_LISTEN_BACKLOG = 4096;

/**
 * Listens on `host`:`port` (0: one the OS picks) with ORIGIN_LISTEN_BACKLOG; rejects on a listen
 * error. The node's `drain` stops listening and drops whatever is still open through `dropAll`:
 * the bench stops an origin to play one that died.
 */
export async function serveForBursts(server: net.Server, port: number, host: string, dropAll: () => void): Promise<RunningNode> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, backlog: ORIGIN_LISTEN_BACKLOG }, () => resolve());
  });
  return {
    address: server.address() as net.AddressInfo,
    drain: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        dropAll();
      }),
  };
}
