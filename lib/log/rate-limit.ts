// Rate-limited logging: a burst of the same event becomes its first line and one count, on the clock.
import type { Subscription } from 'rxjs';
import { after, type Clock } from '../time/clock.js';

/**
 * Passes the first event on at once, then holds the rest for `intervalMs` of the clock and passes
 * on one summary of them (`suppressed` events, the last one's fields), as HAProxy and nginx keep a
 * failing backend from flooding their logs. A quiet interval lets the next event through at once.
 */
export class RateLimited<F extends object> {
  private openUntil = -Infinity;
  private held = 0;
  private last: F | undefined;
  private flush: Subscription | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly emit: (fields: F, suppressed: number) => void,
  ) {}

  /** One event. */
  note(fields: F): void {
    const now = this.clock.now();
    if (now >= this.openUntil && this.held === 0) {
      this.openUntil = now + this.intervalMs;
      this.emit(fields, 0);
      return;
    }
    this.held++;
    this.last = fields;
    this.flush ??= after(this.clock, Math.max(0, this.openUntil - now), () => this.release());
  }

  /** Drops what is held without a summary, and the pending timer. */
  close(): void {
    this.flush?.unsubscribe();
    this.flush = undefined;
    this.held = 0;
  }

  private release(): void {
    this.flush = undefined;
    if (this.held === 0) return;
    const suppressed = this.held;
    this.held = 0;
    this.openUntil = this.clock.now() + this.intervalMs;
    this.emit(this.last!, suppressed);
  }
}
