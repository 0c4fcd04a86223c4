// The cluster actor: folds probe results, traffic outcomes and membership changes into the cluster view.
import { NEVER, Observable, Subscription, catchError, concatWith, of, take, timeout, type Subscriber } from 'rxjs';
import { operate } from '../../bus/actor.js';
import { every, type Clock } from '../../time/clock.js';
import { proxyState, type ClusterView, type ProxyState } from '../view.js';
import type { MembershipChange, Outcome, ProbeResult } from '../messages.js';
import { InFlight } from '../in-flight.js';
import { UP, nextHealth, type Health, type HealthEvent, type HealthPolicy } from './rise-fall.js';
import { NOT_EJECTED, NO_EJECTION, ejectionReason, nextEjection, type Ejection, type EjectionEvent, type EjectionPolicy } from './ejection.js';
import { slowStartWeight } from './slow-start.js';
import { blamesProxy } from './blame.js';

/** Made once: every answered forward reports it. */
const ANSWERED: HealthEvent = Object.freeze({ kind: 'traffic_ok' });

/** Asks one proxy how it is; the TCP link implements it with a METRICS request. */
export type ProbePort = (proxy: number) => Observable<ProbeResult>;

export interface ClusterOptions extends HealthPolicy {
  addresses: readonly string[];
  /** Milliseconds between probes of each proxy (HAProxy's `inter`). */
  interval: number;
  /** A probe unanswered this long counts as failed. */
  timeout: number;
  probe: ProbePort;
  /** Milliseconds over which a returning proxy's weight ramps from 10% to 100%; 0 = at once. */
  slowStart?: number;
  ejection?: EjectionPolicy;
}

export type ClusterInput = Outcome | MembershipChange;

/** What the actor knows of a proxy beyond what the view shows. */
interface Tracking {
  health: Health;
  ejection: Ejection;
  /** When the proxy last came back (rise, end of ejection, or added); slow start ramps from here. */
  upSince: number;
}

/**
 * Outputs a new view on every change of health, weight, ejection or membership; traffic that
 * changes none of them (a send; an answer, which at most clears failed forwards from the count
 * toward fall; a request that timed out, which blame.ts holds against no proxy) makes no view. Probes run every `interval` of the injected clock, each with its
 * own timeout so one dead proxy never delays the others' checks; the same tick ends ejections
 * and steps slow-start weights. The rules are rise-fall.ts, ejection.ts and slow-start.ts; this
 * actor feeds them and writes what they decide into the view.
 */
export function clusterActor(options: ClusterOptions) {
  const slowStart = options.slowStart ?? 0;
  const ejectionPolicy = options.ejection ?? NO_EJECTION;
  return (inbox: Observable<ClusterInput>, clock: Clock): Observable<ClusterView> =>
    // The view lives as long as the balancer, not as long as its inbox: probes go on when no traffic
    // is left to come, so the inbox's end is never passed on.
    operate(inbox.pipe(concatWith(NEVER)), (out: Subscriber<ClusterView>) => {
      const proxies: ProxyState[] = options.addresses.map((address, id) => proxyState(id, address));
      const tracking: Tracking[] = proxies.map(() => ({ health: UP, ejection: NOT_EJECTED, upSince: -Infinity }));
      const probes = new Set<Subscription>();
      // Only for drains: a draining proxy leaves once the last of its requests is answered.
      const inFlight = new InFlight();
      const emit = (): void => out.next({ proxies: proxies.slice() });
      const set = (id: number, change: Partial<ProxyState>): void => {
        proxies[id] = { ...proxies[id]!, ...change };
      };
      const weightAt = (id: number, now: number): number => slowStartWeight(tracking[id]!.upSince, slowStart, now);

      /** Folds an event into the proxy's rise/fall health; true when the health changed. */
      const onHealth = (id: number, event: HealthEvent): boolean => {
        const t = tracking[id]!;
        const before = t.health;
        t.health = nextHealth(before, event, options);
        if (t.health === before) return false;
        if (t.health.healthy && !before.healthy) t.upSince = clock.now();
        set(id, {
          healthy: t.health.healthy,
          reason: t.health.reason ?? proxies[id]!.reason,
          weight: weightAt(id, clock.now()),
        });
        return true;
      };

      /** Folds an event into the proxy's ejection; true when it was ejected or taken back. */
      const onEjection = (id: number, event: EjectionEvent): boolean => {
        const t = tracking[id]!;
        const before = t.ejection;
        t.ejection = nextEjection(before, event, ejectionPolicy, clock.now());
        if (t.ejection.ejected === before.ejected) return false;
        if (t.ejection.ejected) {
          set(id, { ejected: true, ejections: t.ejection.ejections, reason: ejectionReason(ejectionPolicy) });
        } else {
          t.upSince = clock.now();
          set(id, { ejected: false });
        }
        return true;
      };

      const onProbe = (probe: ProbeResult): void => {
        if (proxies[probe.proxy]?.membership === 'removed') return;
        const changed = onHealth(probe.proxy, probe.ok ? { kind: 'probe_ok' } : { kind: 'probe_failed', reason: probe.reason });
        if (probe.ok) set(probe.proxy, { metrics: probe.metrics });
        if (changed || probe.ok) emit();
      };

      const startProbe = (id: number): void => {
        // Made before subscribing: a probe may answer and complete within subscribe (a closed link does).
        const probe = new Subscription();
        probes.add(probe);
        probe.add(probeOnce(options, id, clock).subscribe({ next: onProbe, complete: () => probes.delete(probe) }));
      };

      const onTick = (): void => {
        const now = clock.now();
        let changed = false;
        proxies.forEach((p, id) => {
          if (p.membership === 'removed') return;
          if (onEjection(id, { kind: 'tick' })) changed = true;
          const weight = weightAt(id, now);
          if (weight !== proxies[id]!.weight) {
            set(id, { weight });
            changed = true;
          }
          startProbe(id);
        });
        if (changed) emit();
      };

      const onInput = (input: ClusterInput): void => {
        switch (input.kind) {
          case 'sent':
            inFlight.count(input);
            return;
          case 'answered': {
            inFlight.count(input);
            onEjection(input.proxy, { kind: 'answered' });
            // An answer clears failed forwards from the count toward fall but changes nothing the
            // view shows, so it makes no view: answers are the hot path.
            const t = tracking[input.proxy]!;
            t.health = nextHealth(t.health, ANSWERED, options);
            // An answer changes the view only when it is a draining proxy's last.
            if (proxies[input.proxy]!.membership !== 'draining' || inFlight.of(input.proxy) > 0) return;
            break;
          }
          case 'failed':
            inFlight.count(input);
            if (blamesProxy(input.failure)) {
              onHealth(input.proxy, { kind: 'traffic_failed', reason: `traffic ${input.failure}`, refused: input.failure === 'refused' });
              onEjection(input.proxy, { kind: 'failed' });
              break;
            }
            // A request that timed out is no verdict on the proxy (blame.ts): it neither counts
            // toward fall or ejection nor breaks a streak, and makes no view unless it ends a drain.
            if (proxies[input.proxy]!.membership !== 'draining' || inFlight.of(input.proxy) > 0) return;
            break;
          case 'add':
            proxies[input.proxy] = proxyState(input.proxy, input.address);
            tracking[input.proxy] = { health: UP, ejection: NOT_EJECTED, upSince: clock.now() };
            set(input.proxy, { weight: weightAt(input.proxy, clock.now()) });
            break;
          case 'drain':
            set(input.proxy, { membership: 'draining' });
            break;
          case 'remove':
            set(input.proxy, { membership: 'removed' });
            break;
        }
        // A draining proxy leaves once the last of its requests is answered.
        if (proxies[input.proxy]!.membership === 'draining' && inFlight.of(input.proxy) === 0) set(input.proxy, { membership: 'removed' });
        emit();
      };

      emit();
      const ticking = every(clock, options.interval, onTick);
      return {
        next: onInput,
        finalize: () => {
          ticking.unsubscribe();
          for (const probe of probes) probe.unsubscribe();
        },
      };
    });
}

/** One probe of `proxy` that always ends in one result: a timeout or an error counts as a failed probe. */
function probeOnce(options: ClusterOptions, proxy: number, clock: Clock): Observable<ProbeResult> {
  return options.probe(proxy).pipe(
    take(1),
    timeout({ first: options.timeout, with: () => of<ProbeResult>({ proxy, ok: false, reason: 'probe timeout' }), scheduler: clock }),
    catchError(() => of<ProbeResult>({ proxy, ok: false, reason: 'probe error' })),
  );
}
