// The idle connections an upstream link keeps open: most recently used first to be reused, least recently used first to be closed.

/** ms between two purges of the idle connections past a link's keepalive bound. */
export const KEEPALIVE_PURGE_TICK_MS = 100;
/** Idle connections past the keepalive bound one purge closes at most, least recently used first. */
export const KEEPALIVE_PURGE_BATCH = 32;

/**
 * The idle connections of a link, the way nginx's upstream `keepalive N` keeps them: a
 * connection that goes idle joins it as the most recently used; the link reuses the most recently
 * used one first (its peer is the likeliest to still hold it open); and past `size` idle, the
 * least recently used go ("When this number is exceeded, the least recently used connections are
 * closed", ngx_http_upstream_module). They go in batches (`surplus(limit)`), which the link takes
 * a few at a time: HAProxy too closes its idle server connections gradually
 * (`pool-purge-delay`), so that a burst of misses going idle together is not a burst of closes.
 * It holds at most the link's connections, a few hundred at worst, so a linear search is cheap.
 */
export class KeepaliveCache<C> {
  // Least recently used first.
  private readonly idle: C[] = [];

  /** `size`: idle connections kept open; 0 closes each connection as soon as it is idle. */
  constructor(readonly size: number) {}

  get length(): number {
    return this.idle.length;
  }

  /** `connection` has just gone idle: it is now the most recently used. */
  rest(connection: C): void {
    this.remove(connection);
    this.idle.push(connection);
  }

  /** True while more than `size` connections are idle. */
  get overSize(): boolean {
    return this.idle.length > this.size;
  }

  /** Up to `limit` of the least recently used connections past the cache's size, taken out of it: the caller closes them. */
  surplus(limit = Infinity): C[] {
    return this.overSize ? this.idle.splice(0, Math.min(limit, this.idle.length - this.size)) : [];
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
}
