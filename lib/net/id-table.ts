// Requests in flight on one connection, found again by the id their answer echoes.

/**
 * A fixed array of slots. A request's id is its slot plus a multiple of the capacity that grows with
 * each request, so ids follow the order requests were added and never repeat: a late answer to a
 * request that timed out can never match the one now in its slot.
 *
 * Why not a Map: a Map that takes and deletes an entry per request rehashes every few hundred
 * requests, and V8 keeps each replaced table linked to its successor, with the entries it held
 * (for live iterators). Once one table of the chain is in old space, every later table and every
 * request they held survives young collections, until the next full one: under pipelined load on
 * the balancer's upstream connections, whole megabytes promoted per scavenge (docs/performance.md).
 */
export class IdTable<T> {
  private readonly values: (T | undefined)[];
  private readonly ids: number[];
  private readonly free: number[] = [];
  private count = 0;
  private added = 0;

  constructor(readonly capacity: number) {
    this.values = new Array<T | undefined>(capacity).fill(undefined);
    // The id in each slot; -1 while free.
    this.ids = new Array<number>(capacity).fill(-1);
    for (let slot = capacity - 1; slot >= 0; slot--) this.free.push(slot);
  }

  get size(): number {
    return this.count;
  }

  /** Stores `value` and returns its id, or undefined when every slot is taken. */
  add(value: T): number | undefined {
    const slot = this.free.pop();
    if (slot === undefined) return undefined;
    const id = ++this.added * this.capacity + slot;
    this.ids[slot] = id;
    this.values[slot] = value;
    this.count++;
    return id;
  }

  /** Removes and returns the value stored under `id`, if it is still there. */
  take(id: number): T | undefined {
    if (!Number.isSafeInteger(id) || id < 0) return undefined;
    const slot = id % this.capacity;
    if (this.ids[slot] !== id) return undefined;
    const value = this.values[slot];
    this.release(slot);
    return value;
  }

  /** Removes every entry `expired` says so of, and tells `removed` of each, oldest first. */
  sweep(expired: (value: T) => boolean, removed: (id: number, value: T) => void): void {
    for (const id of this.idsWhere(expired)) removed(id, this.take(id)!);
  }

  /** Empties the table; returns what it held, oldest first. */
  clear(): T[] {
    return this.idsWhere(() => true).map((id) => this.take(id)!);
  }

  /** The ids of the values `test` holds true of, oldest first. */
  private idsWhere(test: (value: T) => boolean): number[] {
    const ids: number[] = [];
    for (let slot = 0; slot < this.capacity; slot++) {
      if (this.ids[slot] !== -1 && test(this.values[slot]!)) ids.push(this.ids[slot]!);
    }
    return ids.sort((a, b) => a - b);
  }

  private release(slot: number): void {
    this.ids[slot] = -1;
    this.values[slot] = undefined;
    this.free.push(slot);
    this.count--;
  }
}
