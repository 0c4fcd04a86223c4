// The options every node takes for being watched: its metrics port, its log, its access log.
import type { Log } from './log.js';

/** `--metrics-port`, the node's logger (`--log-level` made), `--access-log`. */
export interface NodeObservability {
  /** Serve Prometheus' /metrics (and the balancer's stats page) on this port; none without it. */
  metricsPort?: number;
  /** Where the node's events go; nothing is logged without one. */
  log?: Log;
  /** Log one line per request (lib/log/access-log.ts). */
  accessLog?: boolean;
}
