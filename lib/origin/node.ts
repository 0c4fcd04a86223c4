// An origin node: server edge -> origin graph (the origin actor) -> data folder; a metrics port beside.
import { ServerEdge, type EdgeBounds } from '../net/server.js';
import { withEdgeMetrics } from '../net/edge-metrics.js';
import { StartupError, type RunningNode } from '../net/lifecycle.js';
import type { Clock } from '../time/clock.js';
import { SILENT } from '../log/log.js';
import { withAccessLog } from '../log/access-log.js';
import type { NodeObservability } from '../log/observability.js';
import { commonSeries } from '../metrics/prometheus.js';
import { metricsPortOf } from '../metrics/serve.js';
import { DataDir, dataDirProblem } from './data-dir.js';
import { originGraph, type OriginReport } from './graph.js';

/** How `bin/origin` starts an origin: where it listens, the folder it serves, its latency (ms). */
export interface OriginOptions extends EdgeBounds, NodeObservability {
  host: string;
  port: number;
  dataDir: string;
  /** Milliseconds added before each GET answer, to play a slow origin. */
  latency: number;
  clock: Clock;
}

/**
 * Starts an origin listening on `host:port` (and its metrics port, with `metricsPort`); resolves
 * once it listens. Rejects when it cannot listen, or with a StartupError when the data folder
 * cannot serve (dataDirProblem).
 */
export async function startOrigin(options: OriginOptions): Promise<RunningNode> {
  const problem = await dataDirProblem(options.dataDir);
  if (problem !== undefined) throw new StartupError(problem);
  const data = new DataDir(options.dataDir);
  const graph = originGraph({ clock: options.clock, latency: options.latency, source: (key) => data.lookup(key) });
  const accept = options.accessLog === true ? withAccessLog(graph.accept, options.log ?? SILENT, options.clock) : graph.accept;
  const edge: ServerEdge = new ServerEdge(options, withEdgeMetrics(accept, () => edge.metrics));
  const address = await edge.listen();
  const metrics = await metricsPortOf(options, edge, address, {
    role: 'origin',
    series: commonSeries<OriginReport>(),
    scrape: graph.scrape,
    timed: false,
  });
  return {
    address,
    metrics: metrics?.address,
    drain: async () => {
      await edge.drain();
      await metrics?.close();
      graph.close();
    },
  };
}
