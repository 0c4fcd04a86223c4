// The cluster actor: folds probe results and traffic outcomes into the cluster view.
import { Observable, merge, map, mergeMap, interval, timeout, of, catchError, take, scan, startWith } from 'rxjs';
import type { Clock } from '../../time/clock.js';
import { initialView, type ClusterView, type ProxyState } from '../view.js';
import type { Outcome, ProbeResult } from '../messages.js';
import { UP, nextHealth, type Health, type HealthEvent, type HealthPolicy } from './rise-fall.js';

/** Asks one proxy how it is; the TCP link implements it with a METRICS request. */
export type ProbePort = (proxy: number) => Observable<ProbeResult>;

export interface ClusterOptions extends HealthPolicy {
  addresses: readonly string[];
  /** Milliseconds between probes of each proxy (HAProxy's `inter`). */
  interval: number;
  /** A probe unanswered this long counts as failed. */
  timeout: number;
  probe: ProbePort;
}

/**
 * Outputs a new view on every change. Probes run on an interval of the injected clock; each
 * probe has its own timeout so one dead proxy never delays the others' checks.
 */
export function clusterActor(options: ClusterOptions) {
  return (outcomes: Observable<Outcome>, clock: Clock): Observable<ClusterView> => {
    const probes = interval(options.interval, clock).pipe(
      mergeMap(() => options.addresses.map((_, proxy) => proxy)),
      mergeMap((proxy) =>
        options.probe(proxy).pipe(
          take(1),
          timeout({
            first: options.timeout,
            with: () => of<ProbeResult>({ proxy, ok: false, reason: 'probe timeout' }),
            scheduler: clock,
          }),
          catchError(() => of<ProbeResult>({ proxy, ok: false, reason: 'probe error' })),
        ),
      ),
    );
    const initial: State = { view: initialView(options.addresses), health: options.addresses.map(() => UP) };
    return merge(
      probes.pipe(map((probe) => ({ probe }))),
      outcomes.pipe(map((outcome) => ({ outcome }))),
    ).pipe(
      scan((state, input) => ('probe' in input ? onProbe(state, input.probe, options) : onOutcome(state, input.outcome, options)), initial),
      map((state) => state.view),
      startWith(initial.view),
    );
  };
}

interface State {
  readonly view: ClusterView;
  readonly health: readonly Health[];
}

function onProbe(state: State, probe: ProbeResult, policy: HealthPolicy): State {
  const event: HealthEvent = probe.ok ? { kind: 'probe_ok' } : { kind: 'probe_failed', reason: probe.reason };
  const next = withHealth(state, probe.proxy, event, policy);
  return probe.ok ? update(next, probe.proxy, { metrics: probe.metrics }) : next;
}

function onOutcome(state: State, outcome: Outcome, policy: HealthPolicy): State {
  const current = state.view.proxies[outcome.proxy]!;
  switch (outcome.kind) {
    case 'sent':
      return update(state, outcome.proxy, { inFlight: current.inFlight + 1 });
    case 'answered':
      return update(state, outcome.proxy, { inFlight: current.inFlight - 1 });
    case 'failed': {
      const event: HealthEvent = { kind: 'traffic_failed', reason: `traffic ${outcome.failure}`, refused: outcome.failure === 'refused' };
      return withHealth(update(state, outcome.proxy, { inFlight: current.inFlight - 1 }), outcome.proxy, event, policy);
    }
  }
}

function withHealth(state: State, proxy: number, event: HealthEvent, policy: HealthPolicy): State {
  const before = state.health[proxy]!;
  const after = nextHealth(before, event, policy);
  if (after === before) return state;
  const health = state.health.slice();
  health[proxy] = after;
  const reason = after.reason ?? state.view.proxies[proxy]!.reason;
  return update({ ...state, health }, proxy, { healthy: after.healthy, reason });
}

function update(state: State, proxy: number, change: Partial<ProxyState>): State {
  const proxies = state.view.proxies.slice();
  proxies[proxy] = { ...proxies[proxy]!, ...change };
  return { ...state, view: { proxies } };
}
