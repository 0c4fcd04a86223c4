// Flags every node shares beyond the conventions of options.ts: its edge's bounds, its admin token, how it is watched, --check.
import { InvalidArgumentError, Option } from 'commander';
import { DEFAULT_IDLE_TIMEOUT } from '../net/idle.js';
import { DEFAULT_MAX_CONNECTIONS } from '../net/admission.js';
import { integer, port } from './options.js';
import { LOG_LEVELS } from '../log/log.js';

/** An --admin-token: any text but the empty one, which would be a secret anyone can guess. */
export function adminToken(text: string): string {
  if (text === '') throw new InvalidArgumentError('the admin token must not be empty');
  return text;
}

/** The flags of every node's server edge, as `ServerOptions` names them. */
export interface EdgeFlags {
  idleTimeout: number;
  maxConnections: number;
}

/** `--idle-timeout <ms>`, which every node takes (lib/net/idle.ts). */
export function idleTimeoutOption(): Option {
  return new Option('--idle-timeout <ms>', 'close a connection that has sent no complete line for this long, with nothing pending')
    .argParser(integer(1))
    .default(DEFAULT_IDLE_TIMEOUT);
}

/** `--max-connections <n>`, which every node takes (lib/net/admission.ts). */
export function maxConnectionsOption(): Option {
  return new Option('--max-connections <n>', 'client connections open at once; more are refused with TOO_MANY_CONNECTIONS')
    .argParser(integer(1))
    .default(DEFAULT_MAX_CONNECTIONS);
}

/** `--check`, which every node takes: scripts/start_cluster.sh checks each node with it before it starts any. */
export function checkOption(): Option {
  return new Option('--check', 'check the flags, the data folder and that the port is free, then exit (0: it would start) without serving');
}

/** The flags of how a node is watched, as `NodeObservability` and `nodeLog` name them. */
export interface WatchFlags {
  metricsPort?: number;
  logLevel: (typeof LOG_LEVELS)[number];
  accessLog?: boolean;
}

/** `--metrics-port <port>`, which every node takes (lib/metrics/serve.ts). */
export function metricsPortOption(): Option {
  return new Option('--metrics-port <port>', 'serve Prometheus metrics at http://<host>:<port>/metrics (the balancer: its stats page at /); 0 = any free port').argParser(port);
}

/** `--log-level <level>`, which every node takes (lib/log/log.ts). */
export function logLevelOption(): Option {
  return new Option('--log-level <level>', 'JSON log lines on stderr at this level and above').choices(LOG_LEVELS).default('info');
}

/** `--access-log`, which every node takes (lib/log/access-log.ts). */
export function accessLogOption(): Option {
  return new Option('--access-log', 'log one line per request (key, status, cache_hit, node, latency_ms) at info');
}
