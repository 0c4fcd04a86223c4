// The origin's actor on its bus, without the TCP edge: GET and METRICS both go to the origin actor.
import { Bus, topic } from '../bus/bus.js';
import { router, type NodeGraph } from '../bus/routes.js';
import type { Clock } from '../time/clock.js';
import { originActor, type OriginActorOptions, type OriginMessage } from './origin-actor.js';

/** The origin actor's options and the clock its latency waits on. */
export interface OriginGraphOptions extends OriginActorOptions {
  clock: Clock;
}

const T = {
  origin: topic<OriginMessage>('origin'),
};

/** Wires the origin actor to its table of ops: the one actor serves both, since METRICS reads its counters. */
export function originGraph(options: OriginGraphOptions): NodeGraph {
  const bus = new Bus(options.clock);
  bus.spawn(originActor(options), T.origin);
  const origin = bus.topic(T.origin);
  return {
    accept: router({
      GET: (message) => origin.next(message),
      METRICS: (message) => origin.next(message),
    }),
    close: () => bus.close(),
  };
}
