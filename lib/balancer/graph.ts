// The balancer's actors on one bus, without its TCP edges: router (strategy) -> forwarder -> proxy
// ports; cluster actor -> view; membership, purger and metrics beside.
import { BehaviorSubject, tap, type Observable } from 'rxjs';
import { Bus, topic } from '../bus/bus.js';
import { router, withAdminToken, type NodeGraph } from '../bus/routes.js';
import type { Clock } from '../time/clock.js';
import { clusterActor, type ClusterInput, type ProbePort } from './health/cluster-actor.js';
import { forwarder, type ForwardPort, type ForwarderOutput } from './forwarder.js';
import { purger, type PurgeMessage, type SendPort } from './purger.js';
import { membershipActor, type MembershipMessage, type OpenPort } from './membership.js';
import { balancerMetricsActor, type BalancerMetricsInput, type BalancerReport } from './metrics-actor.js';
import { logViewChanges } from './view-log.js';
import type { Scrape } from '../metrics/sample.js';
import { SILENT, type Log } from '../log/log.js';
import type { MembershipChange, Outcome, RouteRequest, Routed } from './messages.js';
import { strategyNamed } from './strategies/registry.js';
import { DEFAULT_HOT_THRESHOLD } from './strategies/strategy.js';
import { initialView, type ClusterView } from './view.js';

export interface BalancerGraphOptions {
  clock: Clock;
  /** The proxies' addresses, `host:port`; a proxy's id is its place in this list. */
  proxies: readonly string[];
  /** A name in the strategy registry. */
  strategy: string;
  /** Milliseconds between probes of each proxy (HAProxy's `inter`). */
  healthInterval: number;
  /** Milliseconds a probe may take before it counts as failed. */
  healthTimeout: number;
  rise: number;
  fall: number;
  /**
   * PURGE and the membership ops need `"token"` equal to it, and PURGE passes it on to the
   * proxies, which must have the same; without one, those ops are refused UNAUTHORIZED.
   */
  adminToken?: string;
  /** Percent of the mean load a proxy may take under consistent_hash before a hot key spills. */
  hashBalanceFactor: number;
  /** consistent_hash: requests for one key in flight that make it hot, free to spill (0: every key). */
  hashHotThreshold?: number;
  /** Retries of a failed GET, each on a proxy not yet tried. */
  retries: number;
  /**
   * Milliseconds a proxy may take to answer a forwarded request; a request that took longer at a
   * proxy still in service is answered PROXY_TIMEOUT, not retried. Keep it above the proxies'
   * slowest answer: twice their `--origin-timeout` plus the retry backoff.
   */
  requestTimeout: number;
  /** Retries allowed per 100 requests over the last 10 s. */
  retryBudget: number;
  /** Milliseconds over which a returning proxy ramps from 10% to 100% weight. */
  slowStart: number;
  /** Consecutive failed forwards that eject a proxy; 0 = no outlier ejection. */
  ejectAfter: number;
  /** Milliseconds of the first ejection; repeated ejections last longer, up to 10x. */
  ejectTime: number;
  /** Where health, ejection and membership changes are logged (view-log.ts); nothing is logged without one. */
  log?: Log;
}

/** The balancer's graph, and the way its exporters read the metrics actor. */
export interface BalancerGraph extends NodeGraph {
  scrape: Scrape<BalancerReport>;
}

/** What the balancer's actors need of the proxies: TCP links in a process, anything in a spec. */
export interface ProxyPorts {
  forward: ForwardPort;
  /** Any request to a proxy, on the traffic links. */
  send: SendPort;
  probe: ProbePort;
  /** Opens links to one more proxy (runtime membership); returns its id. */
  open: OpenPort;
}

const T = {
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

/**
 * Wires the balancer's actors to `ports` and to its table of ops: GET to the router, METRICS to
 * metrics, PURGE to the purger and the membership ops to membership, the last two behind the
 * admin token.
 */
export function balancerGraph(options: BalancerGraphOptions, ports: ProxyPorts): BalancerGraph {
  const strategy = strategyNamed(options.strategy);
  const bus = new Bus(options.clock);
  const view$ = new BehaviorSubject<ClusterView>(initialView(options.proxies));
  const viewLog = logViewChanges(view$, options.log ?? SILENT);
  // Held, not looked up by name, on the hot path.
  const route = bus.topic(T.route);
  const traffic = bus.topic(T.traffic);
  const cluster = bus.topic(T.cluster);
  const metrics = bus.topic(T.metrics);
  const purge = bus.topic(T.purge);
  const membership = bus.topic(T.membership);

  bus.spawn(
    clusterActor({
      addresses: options.proxies,
      interval: options.healthInterval,
      timeout: options.healthTimeout,
      rise: options.rise,
      fall: options.fall,
      probe: ports.probe,
      slowStart: options.slowStart,
      ejection: { consecutive: options.ejectAfter, baseTime: options.ejectTime, maxTime: options.ejectTime * 10 },
    }),
    T.cluster,
    view$,
  );
  bus.spawn(membershipActor(view$, traffic, ports.open), T.membership, T.changes);
  bus.topic(T.changes).subscribe((change) => cluster.next(change));

  const context = {
    clock: options.clock,
    random: Math.random,
    hashBalanceFactor: options.hashBalanceFactor,
    hashHotThreshold: options.hashHotThreshold ?? DEFAULT_HOT_THRESHOLD,
    outcomes: traffic,
  };
  const forward = forwarder(ports.forward, {
    retries: options.retries,
    budget: { percent: options.retryBudget, windowMs: 10_000, minRetries: 10 },
    view$,
    requestTimeout: options.requestTimeout,
  });
  const routing = routingNotes();
  // The router: the strategy operator piped straight into the forwarder, one actor with no topic
  // between them. Each routing is noted to metrics as it passes.
  bus.spawn(
    (routes: Observable<RouteRequest>, clock: Clock) =>
      forward(
        routes.pipe(
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

  bus.spawn(purger(view$, ports.send), T.purge);
  bus.spawn(balancerMetricsActor(options.strategy), T.metrics);
  view$.subscribe((view) => metrics.next({ view }));

  const toMembership = withAdminToken(options.adminToken, (message: MembershipMessage) => membership.next(message));
  return {
    accept: router({
      GET: (message) => route.next({ message, tried: NOT_TRIED }),
      METRICS: (message) => metrics.next({ metrics: message }),
      PURGE: withAdminToken(options.adminToken, (message) => purge.next(message)),
      ADD_PROXY: toMembership,
      DRAIN_PROXY: toMembership,
      REMOVE_PROXY: toMembership,
    }),
    scrape: (take) => metrics.next({ scrape: take }),
    close: () => {
      bus.close();
      view$.complete();
      viewLog.unsubscribe();
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
