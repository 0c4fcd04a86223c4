// What a strategy knows of the proxies' load: requests in flight, and each ramping proxy's share.
import { InFlight } from '../in-flight.js';
import type { Outcome } from '../messages.js';
import type { ClusterView, ProxyState } from '../view.js';

/**
 * The load every strategy is given: requests in flight per proxy, counted from the outcomes, and
 * a ledger that holds each proxy below full weight (slow start) to its weighted share of the
 * requests, whether they overlap or not.
 *
 * Why a ledger: HAProxy applies slow start to a server's effective weight, which every algorithm
 * uses (https://docs.haproxy.org/2.8/configuration.html#5.2-slowstart). Dividing the in-flight
 * count by the weight only weighs a proxy that has requests in flight: when requests do not
 * overlap every proxy has none, every proxy scores 0, and the weight never counts. So each choice
 * among candidates gives each ramping candidate its weighted share of that request,
 * `weight / sum of the candidates' weights` (what weighted round robin would give it), and takes
 * one request from the proxy chosen. The balance, the requests a proxy is owed (> 0) or has taken
 * beyond its share (< 0), is kept within one request either way, so a ramping proxy's count stays
 * within about one request of its share when nothing overlaps, and under load the balance never
 * outweighs the load itself for long. A proxy at full weight keeps no ledger: with every proxy at
 * full weight the strategies choose exactly as by load alone.
 */
export class Load {
  private readonly inFlights = new InFlight();
  private readonly balances: number[] = [];
  /** Whether some proxy in the latest view ramps: without one, a choice costs the ledger nothing. */
  private ramping = false;

  /** Folds one outcome in: the requests in flight. */
  count(outcome: Outcome): void {
    this.inFlights.count(outcome);
  }

  /** Takes a new view: a proxy back at full weight drops its ledger, so its next ramp starts even. */
  view(view: ClusterView): void {
    this.ramping = false;
    for (const p of view.proxies) {
      if (p.weight < 1) this.ramping = true;
      else this.balances[p.id] = 0;
    }
  }

  /** Requests sent to proxy `id` and not answered yet. */
  inFlight(id: number): number {
    return this.inFlights.of(id);
  }

  /**
   * Requests `p` is owed by its weight (up to 1) or has taken beyond it (down to -1); always 0
   * at full weight.
   */
  owed(p: ProxyState): number {
    return p.weight < 1 ? (this.balances[p.id] ?? 0) : 0;
  }

  /**
   * In-flight requests per unit of weight, plus what a ramping proxy has taken beyond its share:
   * what least_loaded and p2c compare. At full weight it is the in-flight count. An idle ramping
   * proxy that has had more than its share counts as busy (up to 1 / weight); one that is owed
   * its share counts as idle, so among idle proxies it takes its turn as any other would, and
   * the turn of a strategy that breaks ties in turn stays fair to the others.
   */
  weighted(p: ProxyState): number {
    return (this.inFlights.of(p.id) + Math.max(0, -this.owed(p))) / p.weight;
  }

  /** Books one choice: `chosen` was picked among `choices` (which hold it). */
  chose(choices: readonly ProxyState[], chosen: ProxyState): void {
    if (!this.ramping) return;
    let weights = 0;
    for (const p of choices) weights += p.weight;
    for (const p of choices) {
      if (p.weight >= 1) continue;
      const earned = (this.balances[p.id] ?? 0) + p.weight / weights - (p.id === chosen.id ? 1 : 0);
      this.balances[p.id] = Math.max(-1, Math.min(1, earned));
    }
  }
}
