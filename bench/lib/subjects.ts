// The subjects a comparison measures, and the processes behind each, started on loopback ports the
// OS picks.
import type { Fleet, NodeToolOptions, Started } from './fleet.js';

export const SUBJECTS = ['balancer', 'haproxy', 'relay', 'proxy', 'proxy-metrics', 'line-server'] as const;
export type Subject = (typeof SUBJECTS)[number];

/** What each subject is, for the legend under the table. */
export const DESCRIPTIONS: Record<Subject, string> = {
  balancer: 'our load balancer (round_robin) -> 3 of our proxies, cache warm (our origin behind them)',
  haproxy: 'HAProxy, TCP mode, balance roundrobin -> the same 3 proxies',
  relay: 'floor: minimal Node relay (no framework, no RxJS) -> 3 minimal line servers',
  proxy: 'one of our proxies alone, cache warm',
  'proxy-metrics': 'one more of our proxies alone, cache warm, with --metrics-port (Prometheus recording on)',
  'line-server': 'floor: one minimal line server alone (fixed pre-encoded answer per key)',
};

/** The subjects' references: a subject's req/s is quoted as a ratio of each. */
export const REFERENCES: Record<Subject, readonly Subject[]> = {
  balancer: ['haproxy', 'relay'],
  haproxy: [],
  relay: [],
  proxy: ['line-server'],
  'proxy-metrics': ['proxy'],
  'line-server': [],
};

export const MODES = {
  oneshot: { mode: 'oneshot', conns: 16, depth: 1, label: 'oneshot 16' },
  persistent: { mode: 'persistent', conns: 16, depth: 1, label: 'persistent 16' },
  pipeline: { mode: 'pipeline', conns: 16, depth: 16, label: 'pipeline 16x16' },
} as const;
export type ModeName = keyof typeof MODES;

/** Proxy flags for a benchmark: nothing expires during the run, so warm means all hits. */
const NO_EXPIRY = ['--ttl', '86400'];

export function startOrigin(fleet: Fleet, dataDir: string, node: NodeToolOptions): Promise<Started> {
  return fleet.node('origin', 'origin', ['--port', '0', '--data-dir', dataDir], node);
}

export async function startProxies(fleet: Fleet, originPort: number, count: number, node: (name: string) => NodeToolOptions, extra: readonly string[] = []): Promise<Started[]> {
  const proxies: Started[] = [];
  for (let i = 1; i <= count; i++) {
    const name = `proxy-${i}`;
    proxies.push(await fleet.node(name, 'proxy', ['--port', '0', '--origin-port', String(originPort), ...NO_EXPIRY, ...extra], node(name)));
  }
  return proxies;
}

export function startBalancer(fleet: Fleet, proxies: readonly Started[], node: NodeToolOptions): Promise<Started> {
  const addresses = proxies.map((p) => `127.0.0.1:${p.port}`);
  return fleet.node('balancer', 'load-balancer', ['--port', '0', '--strategy', 'round_robin', '--proxies', ...addresses], node);
}

/** `count` line servers over the same documents, and a relay in front of them. */
export async function startFloor(fleet: Fleet, dataDir: string, count: number, node: (name: string) => NodeToolOptions): Promise<{ servers: Started[]; relay: Started }> {
  const servers: Started[] = [];
  for (let i = 1; i <= count; i++) {
    const name = `line-server-${i}`;
    servers.push(await fleet.node(name, 'bench-line-server', ['--port', '0', '--data-dir', dataDir], node(name)));
  }
  const upstreams = servers.map((s) => `127.0.0.1:${s.port}`);
  const relay = await fleet.node('relay', 'bench-relay', ['--port', '0', '--upstreams', ...upstreams], node('relay'));
  return { servers, relay };
}
