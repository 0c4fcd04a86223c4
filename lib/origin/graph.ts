// The origin's actor on its bus, without the TCP edge: GET and METRICS both go to the origin actor.
import { Bus, topic } from '../bus/bus.js';
import { router, type NodeGraph } from '../bus/routes.js';
import type { Clock } from '../time/clock.js';
import { originActor, type OriginActorOptions, type OriginMessage } from './origin-actor.js';
import type { Scrape } from '../metrics/sample.js';
import { Status } from '../protocol/status.js';

/** The `data` of the origin's METRICS answer (PROTOCOL.md). */
export interface OriginReport {
  start_time: string;
  total_requests: number;
  requests: number;
  found: number;
  not_found: number;
  bad_key: number;
  /** The edge's fields (lib/net/edge-metrics.ts), added on the way out. */
  connections?: number;
  connections_refused?: number;
  idle_closed?: number;
}

/** The origin's graph, and the way its exporters read its counters. */
export interface OriginGraph extends NodeGraph {
  scrape: Scrape<OriginReport>;
}

/** The origin actor's options and the clock its latency waits on. */
export interface OriginGraphOptions extends OriginActorOptions {
  clock: Clock;
}

const T = {
  origin: topic<OriginMessage>('origin'),
};

/**
 * Wires the origin actor to its table of ops: the one actor serves both, since METRICS reads its
 * counters. A scrape asks it METRICS in-process: the origin's answers are counted by status from
 * those counters (found: OK, not_found: NOT_FOUND, bad_key: BAD_REQUEST) and not timed, its wait
 * being the --latency it was given.
 */
export function originGraph(options: OriginGraphOptions): OriginGraph {
  const bus = new Bus(options.clock);
  bus.spawn(originActor(options), T.origin);
  const origin = bus.topic(T.origin);
  return {
    accept: router({
      GET: (message) => origin.next(message),
      METRICS: (message) => origin.next(message),
    }),
    scrape: (take) =>
      origin.next({
        request: { op: 'METRICS' },
        reply: (answer) => {
          const report = (JSON.parse(answer.toString()) as { data: OriginReport }).data;
          take({ report, statuses: { [Status.OK]: report.found, [Status.NOT_FOUND]: report.not_found, [Status.BAD_REQUEST]: report.bad_key } });
        },
      }),
    close: () => bus.close(),
  };
}
