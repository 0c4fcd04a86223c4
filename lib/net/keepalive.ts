// The idle connections an upstream link keeps open: most recently used first to be reused, least recently used first to be closed.
import type { Subscription } from 'rxjs';
import { every, type Clock } from '../time/clock.js';

/** ms between two purges of the idle connections past a link's keepalive bound. */
export const KEEPALIVE_PURGE_TICK_MS = 100;
/** Idle connections past the keepalive bound one purge closes at most, least recently used first. */
export const KEEPALIVE_PURGE_BATCH = 32;

/**
 * The idle connections of a link, the way nginx's upstream `keepalive N` keeps them: a
 * connection that goes idle joins it as the most recently used; the link reuses the most recently
 * used one first (its peer is the likeliest to still hold it open); and past `size` idle, the
 * least recently used go ("When this number is exceeded, the least recently used connections are
 * closed", ngx_http_upstream_module). They go KEEPALIVE_PURGE_BATCH every KEEPALIVE_PURGE_TICK_MS,
 * through `close`, and any of them is reused meanwhile: HAProxy too closes its idle server
 * connections gradually (`pool-purge-delay`), so that a burst of misses going idle together is
 * not a burst of closes at the origin. It holds at most the link's connections (1,024 by
 * default), so a linear search is cheap.
 */
export class KeepaliveCache<C> {
  // Least recently used first.
  private readonly idle: C[] = [];

  private purging?: Subscription;

  /** `size`: idle connections kept open past a purge; `close` closes one the purge lets go. */
  constructor(
    readonly size: number,
    private readonly clock: Clock,
    private readonly close: (connection: C) => void,
  ) {}

  get length(): number {
    return this.idle.length;
  }

  /** `connection` has just gone idle: it is now the most recently used. */
  rest(connection: C): void {
    this.remove(connection);
    this.idle.push(connection);
    if (this.purging === undefined && this.overSize) this.purging = every(this.clock, KEEPALIVE_PURGE_TICK_MS, () => this.purge());
  }

  /** Stops the purge; the caller closes what is left. */
  stop(): void {
    this.purging?.unsubscribe();
    this.purging = undefined;
  }

  /** True while more than `size` connections are idle. */
  get overSize(): boolean {
    return this.idle.length > this.size;
  }

  /** The most recently used idle connection that `usable` accepts, taken out of the cache; undefined if none. */
  take(usable: (connection: C) => boolean): C | undefined {
    for (let i = this.idle.length - 1; i >= 0; i--) {
      const connection = this.idle[i]!;
      if (usable(connection)) {
        this.idle.splice(i, 1);
        return connection;
      }
    }
    return undefined;
  }

  /** `connection` is busy again or gone. */
  remove(connection: C): void {
    const at = this.idle.indexOf(connection);
    if (at !== -1) this.idle.splice(at, 1);
  }

  private purge(): void {
    const surplus = this.idle.splice(0, Math.min(KEEPALIVE_PURGE_BATCH, Math.max(0, this.idle.length - this.size)));
    for (const connection of surplus) this.close(connection);
    if (!this.overSize) this.stop();
  }
}
