// The cache store: encoded values under TTL, an entry bound and a byte bound, on the injected clock.
import { LRUCache } from 'lru-cache';
import type { Clock } from '../time/clock.js';

export interface StoreOptions {
  clock: Clock;
  /** Time to live in ms; 0 keeps entries until evicted. */
  ttl: number;
  /** Most entries held; evicts least recently used past it. */
  maxEntries?: number;
  /** Most bytes held, counted on key plus encoded value. */
  maxBytes: number;
}

/**
 * Holds the encoded JSON of each value, so a hit writes stored text and never re-serializes.
 * lru-cache does the LRU order, TTL and size accounting; its time is our clock (`perf`), with
 * ttlResolution 0 and no autopurge so it never starts a timer of its own.
 */
export class CacheStore {
  private readonly lru: LRUCache<string, string>;
  private evicted = 0;

  constructor(options: StoreOptions) {
    const clock = options.clock;
    this.lru = new LRUCache<string, string>({
      max: options.maxEntries,
      maxSize: options.maxBytes,
      sizeCalculation: (value, key) => Buffer.byteLength(value) + Buffer.byteLength(key) || 1,
      ttl: options.ttl > 0 ? options.ttl : undefined,
      ttlResolution: 0,
      ttlAutopurge: false,
      allowStale: false,
      updateAgeOnGet: false,
      // lru-cache reads a start time of 0 as "no TTL", and a virtual clock starts at 0; the
      // 1 ms shift keeps every age the same and lets entries stored at time 0 expire.
      perf: { now: () => clock.now() + 1 },
      dispose: (_value, _key, reason) => {
        if (reason === 'evict') this.evicted++;
      },
    });
  }

  get(key: string): string | undefined {
    return this.lru.get(key);
  }

  set(key: string, encoded: string): void {
    this.lru.set(key, encoded);
  }

  delete(key: string): boolean {
    return this.lru.delete(key);
  }

  get entries(): number {
    return this.lru.size;
  }

  get bytes(): number {
    return this.lru.calculatedSize;
  }

  get evictions(): number {
    return this.evicted;
  }
}
