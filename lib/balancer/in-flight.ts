// Requests in flight per proxy, counted from the forwarder's outcomes.
import type { Outcome } from './messages.js';

/**
 * Each actor that needs the live load keeps its own count (no state is shared between actors):
 * `sent` adds one, `answered` and `failed` take one away. The load is not in the cluster view,
 * so a send or an answer never makes a new view.
 */
export class InFlight {
  private readonly counts: number[] = [];

  /** Folds one outcome in. */
  count(outcome: Outcome): void {
    if (outcome.kind === 'sent') this.sent(outcome.proxy);
    else this.done(outcome.proxy);
  }

  /** One more request on its way to `proxy`. */
  sent(proxy: number): void {
    this.counts[proxy] = (this.counts[proxy] ?? 0) + 1;
  }

  /** One request to `proxy` answered or failed. */
  done(proxy: number): void {
    this.counts[proxy] = Math.max(0, (this.counts[proxy] ?? 0) - 1);
  }

  /** Requests sent to `proxy` and not answered yet. */
  of(proxy: number): number {
    return this.counts[proxy] ?? 0;
  }
}
