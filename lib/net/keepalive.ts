// The idle connections an upstream link keeps open: most recently used first to be reused, least recently used first to be closed.

/**
 * A bounded cache of idle connections, the way nginx's upstream `keepalive N` keeps them: a
 * connection that goes idle joins it as the most recently used; the link reuses the most recently
 * used one first (its peer is the likeliest to still hold it open); and while more than `size` are
 * idle, the least recently used is closed ("When this number is exceeded, the least recently used
 * connections are closed", ngx_http_upstream_module). Between `rest` and
 * `surplus` it holds at most `size` + 1, so a linear search is as cheap as anything.
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

  /** The least recently used connections past the cache's size, taken out of it: the caller closes them. */
  surplus(): C[] {
    return this.idle.length > this.size ? this.idle.splice(0, this.idle.length - this.size) : [];
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
