// What bin/cluster starts: an origin (unless it fronts an HTTP service), proxies that are each other's peers, a balancer in front, on ports fixed up front.
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
  /** An HTTP service the proxies front (`--origin-url`): no origin node is started. */
  originUrl?: string;
  /** Each proxy's `--origin-header` values, as given (`Name: value`), with `originUrl` only. */
  originHeaders?: readonly string[];
  /** Each proxy's `--origin-retry-on`, as given (checked); the proxies' default without it. */
  originRetryOn?: string;
  /** The balancer's metrics port; the origin's is the next, then the proxies' (0: any free port for each). */
  metricsPort: number;
  /** Every node's `--log-level`. */
  logLevel: string;
}

const HOST = '127.0.0.1';

/**
 * The nodes of a cluster in the order they start, each with the ports it keeps across restarts,
 * its line port and its metrics port (choosePorts: rejects, naming the node, when one is in use).
 * Each proxy is given the others as `--peers`, so it fills a hot key spilled to it from the key's
 * owner, after a restart too. With `originUrl` there is no origin node, and the proxies get
 * `--origin-url` instead of `--origin-port`. Each proxy gets `--origin-retry-on` when it is given.
 */
export async function planCluster(flags: ClusterFlags): Promise<NodeSpec[]> {
  const withOrigin = flags.originUrl === undefined;
  const proxyPorts = Array.from({ length: flags.proxies }, (_, i) => (flags.proxyPort === 0 ? 0 : flags.proxyPort + i));
  // The numbering of the metrics ports is the same with or without an origin node.
  const metricsPort = (n: number): number => (flags.metricsPort === 0 ? 0 : flags.metricsPort + n);
  const requests = [
    ...(withOrigin ? [{ node: 'origin', port: flags.originPort }] : []),
    ...proxyPorts.map((port, i) => ({ node: `proxy ${i + 1}`, port })),
    { node: 'load balancer', port: flags.port },
    ...(withOrigin ? [{ node: 'origin metrics', port: metricsPort(1) }] : []),
    ...proxyPorts.map((_, i) => ({ node: `proxy ${i + 1} metrics`, port: metricsPort(2 + i) })),
    { node: 'load balancer metrics', port: metricsPort(0) },
  ];
  const ports = await choosePorts(HOST, requests);
  const lines = ports.slice(0, ports.length / 2);
  const metrics = ports.slice(ports.length / 2);
  const originPort = withOrigin ? lines.shift()! : undefined;
  const originMetrics = withOrigin ? metrics.shift()! : undefined;
  const balancerPort = lines.pop()!;
  const balancerMetrics = metrics.pop()!;
  const proxies = lines.map((port) => `${HOST}:${port}`);
  const token = ['--admin-token', flags.adminToken];
  const observed = (port: number): string[] => ['--metrics-port', String(port), '--log-level', flags.logLevel];

  const origin: NodeSpec[] =
    originPort === undefined
      ? []
      : [
          {
            role: 'origin',
            name: 'origin',
            tool: 'origin',
            address: `${HOST}:${originPort}`,
            metrics: `${HOST}:${originMetrics!}`,
            args: [
              '--port',
              String(originPort),
              '--latency',
              String(flags.latency),
              ...(flags.dataDir === undefined ? [] : ['--data-dir', flags.dataDir]),
              ...observed(originMetrics!),
            ],
          },
        ];
  const originFlags = [
    ...(originPort === undefined
      ? ['--origin-url', flags.originUrl!, ...(flags.originHeaders ?? []).flatMap((header) => ['--origin-header', header])]
      : ['--origin-port', String(originPort)]),
    ...(flags.originRetryOn === undefined ? [] : ['--origin-retry-on', flags.originRetryOn]),
  ];
  const proxyNodes = lines.map((port, i): NodeSpec => {
    const peers = proxies.filter((_, j) => j !== i);
    return {
      role: 'proxy',
      name: `proxy-${i + 1}`,
      tool: 'proxy',
      address: proxies[i]!,
      metrics: `${HOST}:${metrics[i]!}`,
      args: ['--port', String(port), ...originFlags, ...token, ...observed(metrics[i]!), ...(peers.length === 0 ? [] : ['--peers', ...peers])],
    };
  });
  const balancer: NodeSpec = {
    role: 'load balancer',
    name: 'load-balancer',
    tool: 'load-balancer',
    address: `${HOST}:${balancerPort}`,
    metrics: `${HOST}:${balancerMetrics}`,
    args: ['--port', String(balancerPort), '--strategy', flags.strategy, ...token, ...observed(balancerMetrics), '--proxies', ...proxies],
    note: flags.strategy,
  };
  return [...origin, ...proxyNodes, balancer];
}
