// What changed between two cluster views, as the balancer's log lines: health, ejection, membership, panic.
import { pairwise, type Observable, type Subscription } from 'rxjs';
import type { Log } from '../log/log.js';
import { available, type ClusterView } from './view.js';

/** One log line: its level, message and fields (`proxy` is the address, as METRICS names it). */
export interface ViewEvent {
  readonly level: 'info' | 'warn';
  readonly message: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

/**
 * The events an operator needs from one view to the next, in HAProxy's terms: a proxy going down
 * (with the reason the health checks or traffic gave) or coming back up, ejected by outlier
 * detection and back, added, draining, removed; and the balancer losing its last available proxy
 * (panic mode: every request goes to any active proxy) or getting one back. A view that changes
 * only weights or probe metrics gives none.
 */
export function viewEvents(before: ClusterView, after: ClusterView): ViewEvent[] {
  const events: ViewEvent[] = [];
  const note = (level: ViewEvent['level'], message: string, fields: Record<string, unknown>): void => void events.push({ level, message, fields });
  for (const p of after.proxies) {
    const was = before.proxies[p.id];
    const proxy = p.address;
    if (was === undefined || was.membership === 'removed') {
      if (p.membership !== 'removed') note('info', 'proxy added', { proxy });
      continue;
    }
    if (was.membership !== p.membership) note('info', p.membership === 'draining' ? 'proxy draining' : `proxy ${p.membership}`, { proxy });
    if (p.membership === 'removed') continue;
    if (was.healthy && !p.healthy) note('warn', 'proxy down', { proxy, reason: p.reason });
    else if (!was.healthy && p.healthy) note('info', 'proxy up', { proxy });
    if (!was.ejected && p.ejected) note('warn', 'proxy ejected', { proxy, reason: p.reason, ejections: p.ejections });
    else if (was.ejected && !p.ejected) note('info', 'proxy ejection ended', { proxy });
  }
  const before$ = before.proxies.some(available);
  const after$ = after.proxies.some(available);
  if (before$ && !after$ && after.proxies.some((p) => p.membership === 'active')) {
    note('warn', 'no proxy available: panic mode, requests go to any active proxy', {});
  } else if (!before$ && after$ && before.proxies.length > 0) {
    note('info', 'a proxy is available again', {});
  }
  return events;
}

/** Logs the events of each new view (`viewEvents`); unsubscribe to stop. */
export function logViewChanges(view$: Observable<ClusterView>, log: Log): Subscription {
  return view$.pipe(pairwise()).subscribe(([before, after]) => {
    for (const e of viewEvents(before, after)) log[e.level](e.fields, e.message);
  });
}
