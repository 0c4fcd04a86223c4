// How the bench's origins listen: with a backlog large enough for a cache's burst of connects.
import type net from 'node:net';

/**
 * Connections the kernel queues for an origin before it accepts them. A cache in front opens a
 * connection per cold key in flight, all at once: past Node's default backlog (511) the rest would
 * wait out a SYN retransmit, a second, and time the origin, not the cache. The kernel caps it at
 * net.core.somaxconn (4096 on this machine's kernel).
 */
export const ORIGIN_LISTEN_BACKLOG = 4096;

/** Listens on `host`:`port` (0: one the OS picks) with ORIGIN_LISTEN_BACKLOG; rejects on a listen error. */
export function listenForBursts(server: net.Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, backlog: ORIGIN_LISTEN_BACKLOG }, () => resolve());
  });
}
