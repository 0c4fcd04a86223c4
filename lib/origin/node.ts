// An origin node: server edge -> origin graph (the origin actor) -> data folder.
import { ServerEdge, type EdgeBounds } from '../net/server.js';
import { withEdgeMetrics } from '../net/edge-metrics.js';
import { StartupError, type RunningNode } from '../net/lifecycle.js';
import type { Clock } from '../time/clock.js';
import { DataDir, dataDirProblem } from './data-dir.js';
import { originGraph } from './graph.js';

/** How `bin/origin` starts an origin: where it listens, the folder it serves, its latency (ms). */
export interface OriginOptions extends EdgeBounds {
  host: string;
  port: number;
  dataDir: string;
  /** Milliseconds added before each GET answer, to play a slow origin. */
  latency: number;
  clock: Clock;
}

/**
 * Starts an origin listening on `host:port`; resolves once it listens. Rejects when it cannot
 * listen, or with a StartupError when the data folder cannot serve (dataDirProblem).
 */
export async function startOrigin(options: OriginOptions): Promise<RunningNode> {
  const problem = await dataDirProblem(options.dataDir);
  if (problem !== undefined) throw new StartupError(problem);
  const data = new DataDir(options.dataDir);
  const graph = originGraph({ clock: options.clock, latency: options.latency, source: (key) => data.lookup(key) });
  const edge: ServerEdge = new ServerEdge(options, withEdgeMetrics(graph.accept, () => edge.metrics));
  const address = await edge.listen();
  return {
    address,
    drain: async () => {
      await edge.drain();
      graph.close();
    },
  };
}
