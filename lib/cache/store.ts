// The cache store: encoded answers with their freshness, under an entry bound and a byte bound.
import { LRUCache } from 'lru-cache';
import type { Clock } from '../time/clock.js';

export interface StoreOptions {
  clock: Clock;
  /** Most entries held; evicts least recently used past it. */
  maxEntries?: number;
  /** Most bytes held, counted on key plus the stored answer. */
  maxBytes: number;
  /** Milliseconds an entry is kept once no longer fresh, to be served stale (grace, stale-if-error). */
  staleWindow?: number;
}

/**
 * What an origin port keeps with an entry to refresh it conditionally later (the HTTP origin's
 * ETag and Last-Modified, inside its cache policy). The cache holds it and hands it back with
 * the next fetch of the key; it reads only `bytes`, counted against the byte bound.
 */
export interface Validator {
  /** Bytes the validator holds, roughly: the header text it keeps. */
  readonly bytes: number;
}

/**
 * An entry's own rules, from its HTTP origin's headers, in ms; they replace the store's stale
 * window for that entry.
 */
export interface EntryRules {
  /** Past fresh, the entry is served at once while one refresh runs (grace, stale-while-revalidate). */
  readonly grace: number;
  /** Past fresh, the entry is served when the origin fails (stale-if-error). */
  readonly staleIfError: number;
  /** Past fresh, an entry with a validator is kept, however stale, for a conditional refresh (Varnish's keep). */
  readonly keep: number;
  readonly validator?: Validator;
}

/** An entry found while kept, fresh or stale. */
export interface Kept {
  /** The whole encoded answer a hit writes, as bytes. */
  readonly answer: Buffer;
  /** A cached NOT_FOUND, which is never served stale. */
  readonly negative: boolean;
  /** Milliseconds since the entry stopped being fresh; <= 0 while fresh. */
  readonly staleMs: number;
  /** The entry's own rules, when it was stored with some. */
  readonly rules?: EntryRules;
}

/** An entry stored with rules: when it stops being fresh (a clock reading, ms), and the rules. */
interface Ruled {
  readonly freshUntil: number;
  readonly rules: EntryRules;
}

/**
 * lru-cache does the LRU order, the byte accounting and the timing. Each entry lives for its
 * fresh time plus the stale window; it is fresh while more than the window remains. So freshness
 * costs nothing beyond lru-cache's own TTL check, and with no stale window (the default) a lookup
 * is a single lru-cache get: the hit path reads no object of ours, not even the answer (the
 * kernel does, when the write copies it). Answers are held as bytes, outside the JS heap, so a hit
 * encodes nothing and the memory held is the bytes counted. Which keys hold a NOT_FOUND is a set
 * apart, empty unless negative caching is on. Its time is our clock (`perf`), with ttlResolution 0
 * and no autopurge so it never starts a timer of its own.
 *
 * An entry stored with its own rules (an HTTP origin's) is kept for its fresh time plus the
 * longest of its grace, stale-if-error and keep; when it stops being fresh is held in a map
 * apart, empty unless such entries exist, so entries without rules are looked up as before.
 */
export class CacheStore {
  private readonly lru: LRUCache<string, Buffer>;
  private readonly negatives = new Set<string>();
  private readonly ruled = new Map<string, Ruled>();
  private readonly window: number;
  private readonly clock: Clock;
  private evicted = 0;

  constructor(options: StoreOptions) {
    const clock = options.clock;
    this.clock = clock;
    this.window = options.staleWindow ?? 0;
    this.lru = new LRUCache<string, Buffer>({
      max: options.maxEntries,
      maxSize: options.maxBytes,
      sizeCalculation: (answer, key) => answer.length + Buffer.byteLength(key),
      ttlResolution: 0,
      ttlAutopurge: false,
      allowStale: false,
      updateAgeOnGet: false,
      // lru-cache reads a start time of 0 as "no TTL", and a virtual clock starts at 0; the
      // 1 ms shift keeps every age the same and lets entries stored at time 0 expire.
      perf: { now: () => clock.now() + 1 },
      // Called for every entry that leaves, however: replaced, deleted, expired or evicted.
      dispose: (_answer, key, reason) => {
        if (reason === 'evict') this.evicted++;
        if (this.negatives.size > 0) this.negatives.delete(key);
        if (this.ruled.size > 0) this.ruled.delete(key);
      },
    });
  }

  /** The answer while fresh; marks it most recently used. */
  fresh(key: string): Buffer | undefined {
    const value = this.lru.get(key);
    if (value === undefined) return value;
    if (this.ruled.size > 0) {
      const ruled = this.ruled.get(key);
      if (ruled !== undefined) return this.clock.now() < ruled.freshUntil ? value : undefined;
    }
    if (this.window === 0) return value;
    return this.lru.getRemainingTTL(key) >= this.window ? value : undefined;
  }

  /** Milliseconds `key` stays fresh: Infinity when it never expires, 0 or less when not fresh or not held. */
  freshMs(key: string): number {
    const left = this.lru.getRemainingTTL(key);
    if (left === 0) return 0;
    const ruled = this.ruled.size > 0 ? this.ruled.get(key) : undefined;
    return ruled === undefined ? left - this.window : ruled.freshUntil - this.clock.now();
  }

  /** The answer while kept, fresh or stale (within the stale window, or the entry's own rules), and how long it has been stale. */
  kept(key: string): Kept | undefined {
    const answer = this.lru.get(key);
    if (answer === undefined) return undefined;
    const ruled = this.ruled.size > 0 ? this.ruled.get(key) : undefined;
    if (ruled !== undefined) return { answer, negative: false, staleMs: this.clock.now() - ruled.freshUntil, rules: ruled.rules };
    return { answer, negative: this.isNegative(key), staleMs: this.window - this.lru.getRemainingTTL(key) };
  }

  /** True while some entry is held with its own rules: a stale lookup may find one to serve or revalidate. */
  get hasRuled(): boolean {
    return this.ruled.size > 0;
  }

  /** True when the answer held for `key` is a cached NOT_FOUND. */
  isNegative(key: string): boolean {
    return this.negatives.size > 0 && this.negatives.has(key);
  }

  /**
   * Stores an answer fresh for `freshMs` (Infinity = until evicted), kept the stale window longer;
   * `negative` marks a NOT_FOUND. A `freshMs` of 0 or less expires at once: nothing is stored,
   * and an older entry for the key is dropped (lru-cache itself would read a ttl of 0 as "never").
   */
  set(key: string, answer: Buffer, freshMs: number, negative = false): void {
    if (!(freshMs > 0)) {
      this.lru.delete(key);
      return;
    }
    this.lru.set(key, answer, { ttl: freshMs === Infinity ? 0 : freshMs + this.window });
    // After the set: replacing an entry disposes of the old one, which clears its mark.
    if (negative && this.lru.has(key)) this.negatives.add(key);
  }

  /**
   * Stores an answer fresh for `freshMs` (Infinity = until evicted) under its own rules, kept past
   * fresh for the longest of its grace, stale-if-error and (with a validator) keep. An entry not
   * fresh at all (no-cache, max-age=0) is still stored when that is more than 0, to be served
   * stale or refreshed conditionally; otherwise it is dropped as `set` drops it. The validator's
   * bytes count against the byte bound.
   */
  setRuled(key: string, answer: Buffer, freshMs: number, rules: EntryRules): void {
    const fresh = Math.max(0, freshMs);
    const window = Math.max(rules.grace, rules.staleIfError, rules.validator === undefined ? 0 : rules.keep);
    if (!(fresh > 0) && !(window > 0)) {
      this.lru.delete(key);
      return;
    }
    const size = answer.length + Buffer.byteLength(key) + (rules.validator?.bytes ?? 0);
    const keptFor = fresh + window;
    // lru-cache recounts an entry's size only when its value changes; a refresh (after a 304) keeps it.
    if (this.lru.peek(key) === answer) this.lru.delete(key);
    this.lru.set(key, answer, { ttl: keptFor === Infinity ? 0 : keptFor, size });
    if (this.lru.has(key)) this.ruled.set(key, { freshUntil: this.clock.now() + fresh, rules });
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
