// The answers a connection still owes to requests that already failed for timeout.

/**
 * A connection matching by id that owes this many late answers retires: slow answers come back
 * and free their slot, but a dead peer's never do.
 */
export const RETIRE_AFTER_UNANSWERED_TIMEOUTS = 4;

/**
 * What a connection owes after its requests time out, so that a late answer is dropped rather
 * than taken for another request's. Matched by id, the ids of the requests that timed out: ids
 * never repeat, so an answer carrying one is known to be late. Matched in order, at most one (a
 * text connection carries one request at a time): the next line the peer sends is its answer,
 * due by a clock ms after which the connection gives up on it. Redis and memcached clients keep a
 * connection past a timed-out command the same way, skipping its reply when it comes.
 */
export class LateAnswers {
  private readonly ids = new Set<number>();
  private dueBy: number | undefined;

  /** The request with `id` timed out. True once so many are owed that the connection should retire. */
  owedById(id: number): boolean {
    this.ids.add(id);
    return this.ids.size >= RETIRE_AFTER_UNANSWERED_TIMEOUTS;
  }

  /** True if an answer with `id` is a late one (now no longer owed). */
  droppedById(id: number): boolean {
    return this.ids.delete(id);
  }

  /** A request matched in order timed out: its answer, the next line, is due by `dueBy` (clock ms). */
  owedInOrder(dueBy: number): void {
    this.dueBy = dueBy;
  }

  /** True while the next line in order is a late answer. */
  get owesInOrder(): boolean {
    return this.dueBy !== undefined;
  }

  /** True if the late answer in order is still owed at `now` (clock ms), past its due time. */
  overdue(now: number): boolean {
    return this.dueBy !== undefined && now >= this.dueBy;
  }

  /** The late answer in order came (or will never: the connection closed). */
  settledInOrder(): void {
    this.dueBy = undefined;
  }
}
