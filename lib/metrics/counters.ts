// Counters: the one seam through which every node records what it counts.
/** A set of named monotonic counters. Exporters (METRICS today, Prometheus later) read `snapshot()`. */
export class Counters<Name extends string> {
  private readonly values = new Map<Name, number>();

  constructor(names: readonly Name[]) {
    for (const name of names) this.values.set(name, 0);
  }

  inc(name: Name, by = 1): void {
    this.values.set(name, (this.values.get(name) ?? 0) + by);
  }

  get(name: Name): number {
    return this.values.get(name) ?? 0;
  }

  snapshot(): Record<Name, number> {
    return Object.fromEntries(this.values) as Record<Name, number>;
  }
}

/** hits / (hits + misses), 0 when both are 0 (PROTOCOL.md). */
export function hitRate(hits: number, misses: number): number {
  return hits + misses === 0 ? 0 : hits / (hits + misses);
}
