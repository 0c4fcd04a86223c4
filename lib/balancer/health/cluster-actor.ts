// The cluster actor: folds probe results, traffic outcomes and membership changes into the cluster view.
import { Observable, Subscription, catchError, of, take, timeout } from 'rxjs';
import { every, type Clock } from '../../time/clock.js';
import { proxyState, type ClusterView, type ProxyState } from '../view.js';
import type { MembershipChange, Outcome, ProbeResult } from '../messages.js';
import { UP, nextHealth, type Health, type HealthEvent, type HealthPolicy } from './rise-fall.js';
import { InFlight } from '../in-flight.js';

/** Asks one proxy how it is; the TCP link implements it with a METRICS request. */
export type ProbePort = (proxy: number) => Observable<ProbeResult>;

export interface EjectionPolicy {
  /** Consecutive failed forwards that eject a proxy (Envoy's consecutive_5xx); 0 = never. */
  readonly consecutive: number;
  /** First ejection lasts this many ms; the n-th lasts n times as long... */
  readonly baseTime: number;
  /** ...up to this. */
  readonly maxTime: number;
}

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

const NO_EJECTION: EjectionPolicy = { consecutive: 0, baseTime: 0, maxTime: 0 };

/** What the actor knows of a proxy beyond what the view shows. */
interface Tracking {
  health: Health;
  /** Consecutive failed forwards since the last answered one. */
  failures: number;
  ejectedUntil: number;
  /** When the proxy last came back (rise or end of ejection); slow start ramps from here. */
  upSince: number;
}

/**
 * Outputs a new view on every change of health, weight, ejection or membership; traffic that
 * changes none of them (a send, an answer) makes no view. Probes run every `interval` of the
 * injected clock, each with its own timeout so one dead proxy never delays the others' checks;
 * the same tick ends ejections and steps slow-start weights.
 */
export function clusterActor(options: ClusterOptions) {
  const slowStart = options.slowStart ?? 0;
  const ejection = options.ejection ?? NO_EJECTION;
  return (inbox: Observable<ClusterInput>, clock: Clock): Observable<ClusterView> =>
    new Observable<ClusterView>((out) => {
      const proxies: ProxyState[] = options.addresses.map((address, id) => proxyState(id, address));
      const tracking: Tracking[] = proxies.map(() => ({ health: UP, failures: 0, ejectedUntil: 0, upSince: -Infinity }));
      const probes = new Set<Subscription>();
      // Only for drains: a draining proxy leaves once the last of its requests is answered.
      const inFlight = new InFlight();
      const emit = (): void => out.next({ proxies: proxies.slice() });
      const set = (id: number, change: Partial<ProxyState>): void => {
        proxies[id] = { ...proxies[id]!, ...change };
      };

      const weightAt = (t: Tracking, now: number): number =>
        slowStart > 0 && now - t.upSince < slowStart ? 0.1 + (0.9 * (now - t.upSince)) / slowStart : 1;

      const onHealth = (id: number, event: HealthEvent): boolean => {
        const t = tracking[id]!;
        const before = t.health;
        t.health = nextHealth(before, event, options);
        if (t.health === before) return false;
        if (t.health.healthy && !before.healthy) t.upSince = clock.now();
        set(id, {
          healthy: t.health.healthy,
          reason: t.health.reason ?? proxies[id]!.reason,
          weight: weightAt(t, clock.now()),
        });
        return true;
      };

      const onProbe = (probe: ProbeResult): void => {
        if (proxies[probe.proxy]?.membership === 'removed') return;
        const changed = onHealth(probe.proxy, probe.ok ? { kind: 'probe_ok' } : { kind: 'probe_failed', reason: probe.reason });
        if (probe.ok) set(probe.proxy, { metrics: probe.metrics });
        if (changed || probe.ok) emit();
      };

      const onTick = (): void => {
        const now = clock.now();
        let changed = false;
        proxies.forEach((p, id) => {
          if (p.membership === 'removed') return;
          const t = tracking[id]!;
          if (p.ejected && now >= t.ejectedUntil) {
            // Failures of requests sent before the ejection must not eject it again at once.
            t.failures = 0;
            t.upSince = now;
            set(id, { ejected: false });
            changed = true;
          }
          const weight = weightAt(t, now);
          if (weight !== proxies[id]!.weight) {
            set(id, { weight });
            changed = true;
          }
          // Made before subscribing: a probe may answer and complete within subscribe (a closed link does).
          const probe = new Subscription();
          probes.add(probe);
          probe.add(
            options
              .probe(id)
              .pipe(
                take(1),
                timeout({ first: options.timeout, with: () => of<ProbeResult>({ proxy: id, ok: false, reason: 'probe timeout' }), scheduler: clock }),
                catchError(() => of<ProbeResult>({ proxy: id, ok: false, reason: 'probe error' })),
              )
              .subscribe({ next: onProbe, complete: () => probes.delete(probe) }),
          );
        });
        if (changed) emit();
      };

      const onFailure = (id: number, failure: string): void => {
        const t = tracking[id]!;
        onHealth(id, { kind: 'traffic_failed', reason: `traffic ${failure}`, refused: failure === 'refused' });
        t.failures++;
        const p = proxies[id]!;
        if (ejection.consecutive > 0 && t.failures >= ejection.consecutive && !p.ejected) {
          const ejections = p.ejections + 1;
          t.ejectedUntil = clock.now() + Math.min(ejection.baseTime * ejections, ejection.maxTime);
          t.failures = 0;
          set(id, { ejected: true, ejections, reason: `ejected after ${ejection.consecutive} consecutive failures` });
        }
      };

      const onInput = (input: ClusterInput): void => {
        switch (input.kind) {
          case 'sent':
            inFlight.count(input);
            return;
          case 'answered':
            inFlight.count(input);
            tracking[input.proxy]!.failures = 0;
            // An answer changes the view only when it is a draining proxy's last.
            if (proxies[input.proxy]!.membership !== 'draining' || inFlight.of(input.proxy) > 0) return;
            break;
          case 'failed':
            inFlight.count(input);
            onFailure(input.proxy, input.failure);
            break;
          case 'add':
            proxies[input.proxy] = proxyState(input.proxy, input.address);
            tracking[input.proxy] = { health: UP, failures: 0, ejectedUntil: 0, upSince: clock.now() };
            set(input.proxy, { weight: weightAt(tracking[input.proxy]!, clock.now()) });
            break;
          case 'drain':
            set(input.proxy, { membership: 'draining' });
            break;
          case 'remove':
            set(input.proxy, { membership: 'removed' });
            break;
        }
        const p = proxies[input.proxy]!;
        // A draining proxy leaves once the last of its requests is answered.
        if (p.membership === 'draining' && inFlight.of(input.proxy) === 0) set(input.proxy, { membership: 'removed' });
        emit();
      };

      emit();
      const ticking = every(clock, options.interval, onTick);
      // The view lives as long as the balancer: probes go on when no traffic is left to come.
      const reading = inbox.subscribe({ next: onInput, error: (err) => out.error(err) });
      return () => {
        ticking.unsubscribe();
        reading.unsubscribe();
        for (const probe of probes) probe.unsubscribe();
      };
    });
}
