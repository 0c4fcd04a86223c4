// The proxy's cache actor: answers hits, coalesces misses into one fetch per key, stores what comes
// back, and serves stale values in grace or when the origin fails.
import type { Observable } from 'rxjs';
import { operate } from '../bus/actor.js';
import type { Inbound } from '../bus/inbound.js';
import type { PurgeRequest, Request } from '../protocol/request.js';
import { bytesOf, errorResponse, ok, okBytes, okEncoded, type Answer } from '../protocol/response.js';
import { Status } from '../protocol/status.js';
import { CacheStore, type StoreOptions } from '../cache/store.js';
import type { Clock } from '../time/clock.js';
import { CACHE_EVENTS, type CacheEvent, type CacheGauges, type Fetched, type FetchOrder } from './messages.js';

const STALE = Buffer.from(',"stale":true}');

// One message per event, made once: a hit allocates nothing to say it was a hit.
const EVENTS = Object.fromEntries(CACHE_EVENTS.map((name) => [name, Object.freeze({ event: name })])) as Record<CacheEvent, { readonly event: CacheEvent }>;

export type GetMessage = Inbound<Extract<Request, { op: 'GET' }>>;
export type PurgeMessage = Inbound<PurgeRequest>;
export type CacheInput = { get: GetMessage } | { fetched: Fetched } | { purge: PurgeMessage };
export type CacheOutput = { fetch: FetchOrder } | { event: CacheEvent } | { gauges: CacheGauges };

export interface CacheActorOptions extends Omit<StoreOptions, 'clock' | 'staleWindow'> {
  /** The proxy's port, reported as `node` in every answer (as the original does). */
  node: number;
  /**
   * Milliseconds a value is fresh: 0 = expires at once (not cached; concurrent misses still share
   * one fetch), Infinity = until evicted. The origin's per-key ttl wins.
   */
  ttl: number;
  /** Milliseconds past its TTL a value is still served at once while one refresh runs (Varnish grace). */
  grace?: number;
  /** Milliseconds past its TTL a value is served when the origin fails (stale-if-error). */
  staleIfError?: number;
  /** Milliseconds a NOT_FOUND answer is cached; 0 = not cached. */
  negativeTtl?: number;
}

/** A fetch in flight: who waits on it, and whether its answer may still be stored (a purge says no). */
interface Pending {
  readonly waiters: GetMessage[];
  store: boolean;
}

/**
 * Concurrent misses for one key wait on one fetch (Varnish's waiting list, nginx's
 * proxy_cache_lock), so the origin sees one request per key however many clients ask at once.
 * Failures are never stored.
 */
export function cacheActor(options: CacheActorOptions) {
  const { node, ttl } = options;
  const grace = options.grace ?? 0;
  const staleIfError = options.staleIfError ?? 0;
  const negativeTtl = options.negativeTtl ?? 0;
  const hitSuffix = `,"cache_hit":true,"node":${node}`;
  const missSuffix = `,"cache_hit":false,"node":${node}`;
  // The store holds the bytes of the whole answer a fresh hit writes; a stale answer is that one, marked.
  const stale = (hit: Buffer): Buffer => Buffer.concat([hit.subarray(0, -1), STALE]);

  return (inbox: Observable<CacheInput>, clock: Clock): Observable<CacheOutput> =>
    operate<CacheInput, CacheOutput>(inbox, (out) => {
      const store = new CacheStore({ ...options, clock, staleWindow: Math.max(grace, staleIfError) });
      const pending = new Map<string, Pending>();
      const event = (name: CacheEvent): void => out.next(EVENTS[name]);
      const gauges = (): void => out.next({ gauges: { entries: store.entries, bytes: store.bytes, evictions: store.evictions } });

      const fetch = (key: string, waiters: GetMessage[]): void => {
        pending.set(key, { waiters, store: true });
        event('origin_fetch');
        out.next({ fetch: { key } });
      };

      // The hot path: a fresh answer is written as it is stored.
      const onGet = (message: GetMessage): void => {
        const found = store.fresh(message.request.key);
        if (found === undefined) return onMiss(message);
        event('hit');
        if (store.isNegative(message.request.key)) event('negative_hit');
        message.reply(found);
      };

      const onMiss = (message: GetMessage): void => {
        const key = message.request.key;
        // Without grace, nothing stale is served here: no second lookup.
        const kept = grace > 0 ? store.kept(key) : undefined;
        if (kept !== undefined && !kept.negative && kept.staleMs <= grace) {
          event('hit');
          event('stale_served');
          message.reply(stale(kept.answer));
          if (!pending.has(key)) fetch(key, []);
          return;
        }
        event('miss');
        const waiting = pending.get(key);
        if (waiting !== undefined) {
          event('coalesced');
          waiting.waiters.push(message);
        } else {
          fetch(key, [message]);
        }
        gauges();
      };

      const onFetched = ({ key, outcome }: Fetched): void => {
        const { waiters, store: storable } = pending.get(key) ?? { waiters: [], store: false };
        pending.delete(key);
        let answer: Answer;
        if (outcome.kind === 'ok') {
          // The origin's per-key ttl, else ours. With either at 0 the store keeps nothing, and the
          // origin's newer answer still replaces an older value kept for grace or stale-if-error.
          if (storable) store.set(key, okBytes(outcome.data, hitSuffix), outcome.ttl ?? ttl);
          answer = okEncoded(outcome.data, missSuffix);
        } else if (outcome.kind === 'answer') {
          if (storable && outcome.notFound && negativeTtl > 0) {
            store.set(key, bytesOf(outcome.answer), negativeTtl, true);
          } else if (storable) {
            // Nor may an older value kept for grace or stale-if-error outlive this answer.
            store.delete(key);
          }
          answer = outcome.answer;
        } else {
          event('origin_error');
          const stale = staleAnswer(key);
          if (stale !== undefined) for (let i = 0; i < waiters.length; i++) event('stale_served');
          answer = stale ?? errorResponse(Status.ORIGIN_FAILURE, outcome.reason);
        }
        for (const message of waiters) message.reply(answer);
        gauges();
      };

      const staleAnswer = (key: string): Buffer | undefined => {
        const kept = store.kept(key);
        if (kept === undefined || kept.negative || kept.staleMs > staleIfError) return undefined;
        return stale(kept.answer);
      };

      const onPurge = (message: PurgeMessage): void => {
        const request = message.request;
        let purged: number;
        if ('key' in request) {
          purged = store.delete(request.key) ? 1 : 0;
          const inFlight = pending.get(request.key);
          if (inFlight !== undefined) inFlight.store = false;
        } else {
          purged = store.deletePrefix(request.prefix);
          for (const [key, inFlight] of pending) if (key.startsWith(request.prefix)) inFlight.store = false;
        }
        message.reply(ok({ purged }));
        gauges();
      };

      return (input) => {
        if ('get' in input) onGet(input.get);
        else if ('fetched' in input) onFetched(input.fetched);
        else onPurge(input.purge);
      };
    });
}
