// An origin node: server edge -> origin actor -> data folder.
import { Bus, topic } from '../bus/bus.js';
import type { Inbound } from '../bus/inbound.js';
import { ServerEdge } from '../net/server.js';
import type { RunningNode } from '../net/lifecycle.js';
import type { Clock } from '../time/clock.js';
import { DataDir } from './data-dir.js';
import { originActor } from './origin-actor.js';

export interface OriginOptions {
  host: string;
  port: number;
  dataDir: string;
  latency: number;
  clock: Clock;
}

const requests = topic<Inbound>('requests');

export async function startOrigin(options: OriginOptions): Promise<RunningNode> {
  const bus = new Bus(options.clock);
  const data = new DataDir(options.dataDir);
  bus.spawn(originActor({ source: (key) => data.lookup(key), latency: options.latency }), requests);
  const edge = new ServerEdge(options, (message) => bus.publish(requests, message));
  const address = await edge.listen();
  return {
    address,
    drain: async () => {
      await edge.drain();
      bus.close();
    },
  };
}
