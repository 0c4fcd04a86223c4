// What bin/cluster starts: an origin, proxies that are each other's peers, a balancer in front, on ports fixed up front.
import { choosePorts } from './ports.js';
import type { NodeSpec } from './supervisor.js';

/** bin/cluster's flags, as the plan reads them. */
export interface ClusterFlags {
  /** 0 for any free port, here and below. */
  originPort: number;
  /** The first proxy's port; the others follow it (unless 0). */
  proxyPort: number;
  proxies: number;
  /** The balancer's port. */
  port: number;
  strategy: string;
  dataDir?: string;
  /** Origin latency, ms. */
  latency: number;
  adminToken: string;
}

const HOST = '127.0.0.1';

/**
 * The nodes of a cluster in the order they start, each with the port it keeps across restarts
 * (choosePorts: rejects, naming the node, when one is in use). Each proxy is given the others as
 * `--peers`, so it fills a hot key spilled to it from the key's owner, after a restart too.
 */
export async function planCluster(flags: ClusterFlags): Promise<NodeSpec[]> {
  const proxyPorts = Array.from({ length: flags.proxies }, (_, i) => (flags.proxyPort === 0 ? 0 : flags.proxyPort + i));
  const [originPort, ...rest] = await choosePorts(HOST, [
    { node: 'origin', port: flags.originPort },
    ...proxyPorts.map((port, i) => ({ node: `proxy ${i + 1}`, port })),
    { node: 'load balancer', port: flags.port },
  ]);
  const balancerPort = rest.pop()!;
  const proxies = rest.map((port) => `${HOST}:${port}`);
  const token = ['--admin-token', flags.adminToken];

  const origin: NodeSpec = {
    role: 'origin',
    tool: 'origin',
    address: `${HOST}:${originPort}`,
    args: ['--port', String(originPort), '--latency', String(flags.latency), ...(flags.dataDir === undefined ? [] : ['--data-dir', flags.dataDir])],
  };
  const proxyNodes = rest.map((port, i): NodeSpec => {
    const peers = proxies.filter((_, j) => j !== i);
    return {
      role: 'proxy',
      tool: 'proxy',
      address: proxies[i]!,
      args: ['--port', String(port), '--origin-port', String(originPort), ...token, ...(peers.length === 0 ? [] : ['--peers', ...peers])],
    };
  });
  const balancer: NodeSpec = {
    role: 'load balancer',
    tool: 'load-balancer',
    address: `${HOST}:${balancerPort}`,
    args: ['--port', String(balancerPort), '--strategy', flags.strategy, ...token, '--proxies', ...proxies],
    note: flags.strategy,
  };
  return [origin, ...proxyNodes, balancer];
}
