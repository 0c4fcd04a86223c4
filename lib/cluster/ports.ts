// A cluster's ports, chosen before any node starts: each given port checked free, each 0 replaced by a free one.
import net from 'node:net';
import { StartupError } from '../net/lifecycle.js';

/** A port a node of the cluster asks for: `port` 0 for any free one. */
export interface PortRequest {
  /** The node, as an error names it: `proxy 2`. */
  readonly node: string;
  readonly port: number;
}

/**
 * The port each node will listen on, in order: a port given is checked free by binding it, and
 * 0 is replaced by a port the system picks. Known before any node starts, a node restarted after
 * it crashed listens where the balancer and its peers look for it, and a port in use stops the
 * cluster before anything has started. Every port is held until all are chosen, so no two nodes
 * get the same one. Rejects with a StartupError naming the node when a port is given twice, is
 * past 65535 or is in use.
 */
export async function choosePorts(host: string, requests: readonly PortRequest[]): Promise<number[]> {
  const owner = new Map<number, string>();
  for (const { node, port } of requests) {
    if (port > 65535) throw new StartupError(`${node} would listen on port ${port}, past 65535`);
    const other = owner.get(port);
    if (port !== 0 && other !== undefined) throw new StartupError(`port ${port} is given to both ${other} and ${node}`);
    owner.set(port, node);
  }
  const held: net.Server[] = [];
  try {
    const ports: number[] = [];
    for (const { node, port } of requests) {
      const server = net.createServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', (err: NodeJS.ErrnoException) =>
          reject(err.code === 'EADDRINUSE' ? new StartupError(`port ${port} (${node}) is in use`) : err),
        );
        server.listen(port, host, () => resolve());
      });
      held.push(server);
      ports.push((server.address() as net.AddressInfo).port);
    }
    return ports;
  } finally {
    await Promise.all(held.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}
