// A load balancer node: edge -> router (strategy) -> forwarder -> proxies; cluster actor -> view.
import { BehaviorSubject, tap, type Observable } from 'rxjs';
import { Bus, topic } from '../bus/bus.js';
import type { Inbound } from '../bus/inbound.js';
import { ServerEdge } from '../net/server.js';
import type { RunningNode } from '../net/lifecycle.js';
import { refuseUnauthorized } from '../protocol/admin.js';
import { wrongMethod } from '../protocol/response.js';
import type { Clock } from '../time/clock.js';
import { clusterActor, type ClusterInput } from './health/cluster-actor.js';
import { forwarder, type ForwarderOutput } from './forwarder.js';
import { proxyLinks, type ProxyLinks } from './links.js';
import { purger, type PurgeMessage } from './purger.js';
import { membershipActor, type MembershipMessage } from './membership.js';
import { balancerMetricsActor, type BalancerMetricsInput } from './metrics-actor.js';
import type { GetMessage, MembershipChange, Outcome, RouteRequest, Routed } from './messages.js';
import { strategyNamed } from './strategies/registry.js';
import { initialView, type ClusterView } from './view.js';

export interface BalancerOptions {
  host: string;
  port: number;
  clock: Clock;
  proxies: readonly string[];
  strategy: string;
  healthInterval: number;
  healthTimeout: number;
  rise: number;
  fall: number;
  connectTimeout: number;
  requestTimeout: number;
  /** When set, PURGE needs `"token"` equal to it (and the token is passed on to the proxies). */
  adminToken?: string;
  /** Percent of the mean load a proxy may take under consistent_hash before keys spill. */
  hashBalanceFactor: number;
  /** Retries of a failed GET, each on a proxy not yet tried. */
  retries: number;
  /** Retries allowed per 100 requests over the last 10 s. */
  retryBudget: number;
  /** Milliseconds over which a returning proxy ramps from 10% to 100% weight. */
  slowStart: number;
  /** Consecutive failed forwards that eject a proxy; 0 = no outlier ejection. */
  ejectAfter: number;
  /** Milliseconds of the first ejection; repeated ejections last longer, up to 10x. */
  ejectTime: number;
}

const T = {
  requests: topic<Inbound>('requests'),
  route: topic<RouteRequest>('route'),
  /** What became of each forward: heard by the strategy and membership. */
  traffic: topic<Outcome>('traffic'),
  /** The cluster actor's inbox: the same outcomes, and membership changes. */
  cluster: topic<ClusterInput>('cluster'),
  metrics: topic<BalancerMetricsInput>('metrics'),
  purge: topic<PurgeMessage>('purge'),
  membership: topic<MembershipMessage>('membership'),
  changes: topic<MembershipChange>('membership-changes'),
};

// Every first attempt shares one empty list: a retry makes a new one.
const NOT_TRIED: readonly number[] = Object.freeze([]);

/** What the balancer's actors need of the proxies: TCP links in a process, anything in a harness. */
export type ProxyPorts = Omit<ProxyLinks, 'close'>;

/** The balancer's actors on one bus, without its TCP edges: requests in, replies through each message. */
export interface BalancerGraph {
  accept(message: Inbound): void;
  /** Completes every topic and stops the actors. */
  close(): void;
}

export async function startBalancer(options: BalancerOptions): Promise<RunningNode> {
  const links = proxyLinks(options.proxies, options);
  const graph = balancerGraph(options, links);
  const edge = new ServerEdge(options, (message) => graph.accept(message));
  const address = await edge.listen();
  return {
    address,
    drain: async () => {
      await edge.drain();
      links.close();
      graph.close();
    },
  };
}

/** Wires the balancer's actors: router (strategy) -> forwarder -> `ports`; cluster actor -> view; membership, purger, metrics. */
export function balancerGraph(options: Omit<BalancerOptions, 'host' | 'port'>, links: ProxyPorts): BalancerGraph {
  const strategy = strategyNamed(options.strategy);
  const bus = new Bus(options.clock);
  const view$ = new BehaviorSubject<ClusterView>(initialView(options.proxies));
  // Held, not looked up by name, on the hot path.
  const requests = bus.topic(T.requests);
  const route = bus.topic(T.route);
  const traffic = bus.topic(T.traffic);
  const cluster = bus.topic(T.cluster);
  const metrics = bus.topic(T.metrics);

  bus.spawn(
    clusterActor({
      addresses: options.proxies,
      interval: options.healthInterval,
      timeout: options.healthTimeout,
      rise: options.rise,
      fall: options.fall,
      probe: links.probe,
      slowStart: options.slowStart,
      ejection: { consecutive: options.ejectAfter, baseTime: options.ejectTime, maxTime: options.ejectTime * 10 },
    }),
    T.cluster,
    view$,
  );
  bus.spawn(membershipActor(view$, traffic, links.open), T.membership, T.changes);
  bus.topic(T.changes).subscribe((change) => cluster.next(change));

  requests.subscribe((message) => {
    switch (message.request.op) {
      case 'GET':
        return route.next({ message: message as GetMessage, tried: NOT_TRIED });
      case 'METRICS':
        return metrics.next({ metrics: message });
      case 'PURGE': {
        const refusal = refuseUnauthorized(message.request, options.adminToken);
        if (refusal !== undefined) return message.reply(refusal);
        return bus.publish(T.purge, message as PurgeMessage);
      }
      case 'ADD_PROXY':
      case 'DRAIN_PROXY':
      case 'REMOVE_PROXY': {
        const refusal = refuseUnauthorized(message.request, options.adminToken);
        if (refusal !== undefined) return message.reply(refusal);
        return bus.publish(T.membership, message as MembershipMessage);
      }
      default:
        return message.reply(wrongMethod((message.request as { op: string }).op));
    }
  });
  const context = {
    clock: options.clock,
    random: Math.random,
    hashBalanceFactor: options.hashBalanceFactor,
    outcomes: traffic,
  };
  const forward = forwarder(links.forward, {
    retries: options.retries,
    budget: { percent: options.retryBudget, windowMs: 10_000, minRetries: 10 },
  });
  const routing = routingNotes();
  // The router: the strategy operator piped straight into the forwarder, one actor with no topic
  // between them. Each routing is noted to metrics as it passes.
  bus.spawn(
    (route: Observable<RouteRequest>, clock: Clock) =>
      forward(
        route.pipe(
          strategy(view$, context),
          tap((r) => metrics.next(routing(r))),
        ),
        clock,
      ),
    T.route,
    // The forwarder's output sorted as it leaves: a retry back to the router, an outcome to the
    // cluster actor and to `traffic` (the strategy and membership), and the rest to metrics, but
    // for `sent` outcomes: metrics counts a send from its routing note. Two topics rather than one
    // filtered per listener: a filter costs each outcome a delivery more.
    {
      next: (f: ForwarderOutput) => {
        if ('outcome' in f) {
          cluster.next(f.outcome);
          traffic.next(f.outcome);
          if (f.outcome.kind === 'sent') return;
        } else if ('retry' in f) return route.next(f.retry);
        metrics.next(f);
      },
    },
  );

  bus.spawn(purger(view$, links.send), T.purge);
  bus.spawn(balancerMetricsActor(options.strategy), T.metrics);
  view$.subscribe((view) => metrics.next({ view }));

  return {
    accept: (message) => requests.next(message),
    close: () => {
      bus.close();
      view$.complete();
    },
  };
}

/**
 * What metrics hears of each routing: a note per (proxy, cursor, retry), made once and reused,
 * so routing a request allocates no note.
 */
function routingNotes(): (r: Routed) => BalancerMetricsInput {
  // By proxy (none first), then by cursor (none first) and retry.
  const made: BalancerMetricsInput[][] = [];
  return (r) => {
    const retry = r.tried.length > 0;
    const byProxy = (made[r.proxy === undefined ? 0 : r.proxy + 1] ??= []);
    const slot = (r.cursor === undefined ? 0 : r.cursor + 1) * 2 + (retry ? 1 : 0);
    return (byProxy[slot] ??= Object.freeze({
      routed: Object.freeze(r.cursor === undefined ? { retry, proxy: r.proxy } : { cursor: r.cursor, retry, proxy: r.proxy }),
    }));
  };
}
