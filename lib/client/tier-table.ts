// The tier view as a fixed-width text table, like top's: what `bin/client --watch` draws each second.
import type { ProxyStateName, TierView } from './tier-view.js';

/** ANSI colours per state: green up, red down, yellow ejected or ramping, cyan draining. */
const COLOURS: Record<ProxyStateName, string> = { up: '32', down: '31', ejected: '33', draining: '36', 'slow start': '33' };

const fixed = (n: number | null, digits: number): string => (n === null ? '-' : n.toFixed(digits));
const grouped = (n: number): string => Math.round(n).toLocaleString('en-US');

/**
 * `title` (the balancer's address) and the totals on two lines, then a row per proxy: address,
 * state (coloured when `colour`), requests/s, hit ratio (%), in flight, p99 (ms, last minute) and
 * the reason it was last down or ejected. A value not known yet (a rate from a single reading)
 * is `-`.
 */
export function renderTierTable(view: TierView, title: string, colour: boolean): string {
  const lines = [
    `dproxy ${title}  ${view.strategy}  requests ${grouped(view.requests)}  ${fixed(view.rps, 1)} req/s  errors ${grouped(view.errors)}  retries ${grouped(view.retries)}  retry budget ${view.budget.used}/${view.budget.allowed}`,
    `latency over the last minute: p50 ${view.latency.p50} ms  p90 ${view.latency.p90} ms  p99 ${view.latency.p99} ms`,
    '',
    `${'PROXY'.padEnd(22)}${'STATE'.padEnd(12)}${'REQ/S'.padStart(10)}${'HIT %'.padStart(8)}${'IN FLIGHT'.padStart(11)}${'P99 MS'.padStart(8)}  REASON`,
  ];
  for (const p of view.proxies) {
    const state = p.state.padEnd(12);
    lines.push(
      p.address.padEnd(22) +
        (colour ? `\x1b[${COLOURS[p.state]}m${state}\x1b[0m` : state) +
        fixed(p.rps, 1).padStart(10) +
        fixed(p.hitRatio === null ? null : p.hitRatio * 100, 1).padStart(8) +
        String(p.inFlight).padStart(11) +
        (p.p99 === null ? '-' : String(p.p99)).padStart(8) +
        (p.reason === null ? '' : `  ${p.reason}`),
    );
  }
  return lines.join('\n') + '\n';
}
