// The cache store: encoded entries with their freshness, under an entry bound and a byte bound.
import { LRUCache } from 'lru-cache';
import type { Clock } from '../time/clock.js';

export interface StoreOptions {
  clock: Clock;
  /** Most entries held; evicts least recently used past it. */
  maxEntries?: number;
  /** Most bytes held, counted on key plus the stored answer. */
  maxBytes: number;
}

/** One cached answer. Freshness is decided by the caller; the store only forgets at `keep`. */
export interface Entry {
  /** The encoded answer a fresh hit writes as it is, never re-serialized. */
  readonly body: string;
  readonly negative: boolean;
  /** Clock reading until which the entry is fresh; Infinity for never. */
  readonly freshUntil: number;
}

/**
 * Keeps the encoded text so a hit writes stored bytes and never re-serializes. lru-cache does
 * the LRU order, the byte accounting and forgetting an entry once its keep time (TTL plus any
 * grace or stale-if-error window) is over; its time is our clock (`perf`), with ttlResolution 0
 * and no autopurge so it never starts a timer of its own.
 */
export class CacheStore {
  private readonly lru: LRUCache<string, Entry>;
  private evicted = 0;

  constructor(options: StoreOptions) {
    const clock = options.clock;
    this.lru = new LRUCache<string, Entry>({
      max: options.maxEntries,
      maxSize: options.maxBytes,
      sizeCalculation: (entry, key) => Buffer.byteLength(entry.body) + Buffer.byteLength(key),
      ttlResolution: 0,
      ttlAutopurge: false,
      allowStale: false,
      updateAgeOnGet: false,
      // lru-cache reads a start time of 0 as "no TTL", and a virtual clock starts at 0; the
      // 1 ms shift keeps every age the same and lets entries stored at time 0 expire.
      perf: { now: () => clock.now() + 1 },
      dispose: (_entry, _key, reason) => {
        if (reason === 'evict') this.evicted++;
      },
    });
  }

  /** The entry if it is still kept; marks it most recently used. */
  get(key: string): Entry | undefined {
    return this.lru.get(key);
  }

  /** Stores an entry for `keepMs` (0 = until evicted). */
  set(key: string, entry: Entry, keepMs: number): void {
    this.lru.set(key, entry, { ttl: keepMs });
  }

  /** Forgets an entry; true only if it was still kept (one past its keep time does not count). */
  delete(key: string): boolean {
    const kept = this.lru.has(key);
    this.lru.delete(key);
    return kept;
  }

  /** Deletes every key starting with `prefix`; returns how many. */
  deletePrefix(prefix: string): number {
    const doomed: string[] = [];
    for (const key of this.lru.keys()) if (key.startsWith(prefix)) doomed.push(key);
    for (const key of doomed) this.lru.delete(key);
    return doomed.length;
  }

  get entries(): number {
    return this.lru.size;
  }

  /** Bytes held: UTF-8 length of every key and stored answer. */
  get bytes(): number {
    return this.lru.calculatedSize;
  }

  get evictions(): number {
    return this.evicted;
  }
}
