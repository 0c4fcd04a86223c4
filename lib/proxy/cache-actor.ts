// The proxy's cache actor: answers hits, coalesces misses into one fetch per key, stores what comes
// back, serves stale values in grace or when the origin fails, revalidates kept entries conditionally,
// and fills spilled keys from peers.
import type { Observable } from 'rxjs';
import { operate } from '../bus/actor.js';
import type { Inbound } from '../bus/inbound.js';
import type { PeerRequest, PurgeRequest, Request } from '../protocol/request.js';
import { bytesOf, errorResponse, ok, okBytes, okEncoded, type Answer } from '../protocol/response.js';
import { Status } from '../protocol/status.js';
import { statusOf } from '../protocol/status-of.js';
import { CacheStore, type EntryRules, type StoreOptions } from '../cache/store.js';
import type { Clock } from '../time/clock.js';
import { CACHE_EVENTS, type Answered, type CacheEvent, type CacheGauges, type Fetched, type FetchOrder, type StaleDirectives, type Validator } from './messages.js';

const STALE = Buffer.from(',"stale":true}');

// One message per event, made once: a hit allocates nothing to say it was a hit.
const EVENTS = Object.fromEntries(CACHE_EVENTS.map((name) => [name, Object.freeze({ event: name })])) as Record<CacheEvent, { readonly event: CacheEvent }>;

export type GetMessage = Inbound<Extract<Request, { op: 'GET' }>>;
export type PurgeMessage = Inbound<PurgeRequest>;
export type PeerMessage = Inbound<PeerRequest>;
export type CacheInput = { get: GetMessage } | { fetched: Fetched } | { purge: PurgeMessage } | { peer: PeerMessage };
export type CacheOutput = { fetch: FetchOrder } | { event: CacheEvent } | { gauges: CacheGauges } | { answered: Answered };

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
  /**
   * Milliseconds past its fresh time an entry with a validator (an HTTP origin's ETag or
   * Last-Modified) is kept, however stale, so the next fetch of it is conditional (Varnish's keep).
   */
  keep?: number;
  /**
   * The other proxies (`host:port`) a miss may be filled from, when the balancer's `fill` hint
   * names one (ADD_PEER adds more). A hint naming any other address is ignored: a client must
   * never choose where a proxy fetches what it caches for everyone.
   */
  peers?: readonly string[];
}

/**
 * A fetch in flight: who waits on it and since when (ms of the clock, one reading per waiter),
 * whether its answer may still be stored (a purge says no), and the peer it is filled from, if any.
 */
interface Pending {
  readonly waiters: GetMessage[];
  readonly arrivals: number[];
  store: boolean;
  readonly peer?: string;
}

/**
 * Concurrent misses for one key wait on one fetch (Varnish's waiting list, nginx's
 * proxy_cache_lock), so the origin sees one request per key however many clients ask at once.
 * Failures are never stored.
 *
 * Peer fill (docs/architecture.md, "Key affinity and hot keys"): a GET spilled here names the key's
 * owner as `fill`; if that is a peer, the miss is fetched from it, and only if that fails from the
 * origin. The owner answers a GET marked `peer` with `"ttl"`, the seconds its entry stays fresh,
 * so the copy here expires no later than the owner's (a stale answer carries 0: not stored). A
 * peer GET never fills from a peer itself, and never waits on a fill from one: two proxies
 * filling a key from each other would wait on each other until their peer links time out.
 *
 * Revalidation (docs/http-origin.md): an entry an HTTP origin gave a validator is fetched again,
 * once stale, with that validator; a `not_modified` outcome makes the entry kept fresh again and
 * answers its waiters from it. An HTTP origin's stale-while-revalidate and stale-if-error extend
 * --grace and --stale-if-error for that entry; no-cache, must-revalidate, proxy-revalidate and
 * s-maxage take the proxy's own out (RFC 9111 4.2.4).
 */
export function cacheActor(options: CacheActorOptions) {
  const { node, ttl } = options;
  const grace = options.grace ?? 0;
  const staleIfError = options.staleIfError ?? 0;
  const negativeTtl = options.negativeTtl ?? 0;
  const keep = options.keep ?? 0;
  const hitSuffix = `,"cache_hit":true,"node":${node}`;
  const missSuffix = `,"cache_hit":false,"node":${node}`;
  // The store holds the bytes of the whole answer a fresh hit writes; a stale answer is that one, marked.
  const stale = (hit: Buffer): Buffer => Buffer.concat([hit.subarray(0, -1), STALE]);
  // After a 304 the origin was asked, so the answer says so, with the data kept.
  const hitTail = Buffer.from(`${hitSuffix}}`);
  const missTail = Buffer.from(`${missSuffix}}`);
  const asMiss = (hit: Buffer): Buffer => Buffer.concat([hit.subarray(0, hit.length - hitTail.length), missTail]);
  const rulesOf = (directives: StaleDirectives | undefined, validator: Validator | undefined): EntryRules => {
    const own = directives?.strict !== true;
    return {
      grace: Math.max(own ? grace : 0, directives?.whileRevalidate ?? 0),
      staleIfError: Math.max(own ? staleIfError : 0, directives?.ifError ?? 0),
      keep,
      validator,
    };
  };

  return (inbox: Observable<CacheInput>, clock: Clock): Observable<CacheOutput> =>
    operate<CacheInput, CacheOutput>(inbox, (out) => {
      const store = new CacheStore({ ...options, clock, staleWindow: Math.max(grace, staleIfError) });
      const pending = new Map<string, Pending>();
      const event = (name: CacheEvent): void => out.next(EVENTS[name]);
      const gauges = (): void => out.next({ gauges: { entries: store.entries, bytes: store.bytes, evictions: store.evictions } });

      const peers = new Set(options.peers);

      const fetch = (key: string, waiters: GetMessage[], peer?: string, validator?: Validator): void => {
        const arrivals = waiters.length === 0 ? [] : [clock.now()];
        if (peer === undefined) {
          pending.set(key, { waiters, arrivals, store: true });
          event('origin_fetch');
          if (validator !== undefined) event('revalidation');
          out.next({ fetch: validator === undefined ? { key } : { key, validator } });
        } else {
          pending.set(key, { waiters, arrivals, store: true, peer });
          out.next({ fetch: { key, peer } });
        }
      };

      // The hot path: a fresh answer is written as it is stored.
      const onGet = (message: GetMessage): void => {
        const key = message.request.key;
        const found = store.fresh(key);
        if (found === undefined) return onMiss(message);
        event('hit');
        const negative = store.isNegative(key);
        if (negative) event('negative_hit');
        message.reply(message.request.peer === true && !negative ? withTtl(found, store.freshMs(key)) : found);
      };

      const onMiss = (message: GetMessage): void => {
        const key = message.request.key;
        // Without grace or entries of an HTTP origin, nothing stale is served or revalidated: no second lookup.
        const kept = grace > 0 || store.hasRuled ? store.kept(key) : undefined;
        const keptGrace = kept?.rules?.grace ?? grace;
        const validator = kept?.rules?.validator;
        if (kept !== undefined && !kept.negative && keptGrace > 0 && kept.staleMs <= keptGrace) {
          event('hit');
          event('stale_served');
          message.reply(forPeer(message, stale(kept.answer), 0));
          if (!pending.has(key)) fetch(key, [], undefined, validator);
          return;
        }
        event('miss');
        const waiting = pending.get(key);
        const { fill, peer } = message.request;
        if (waiting !== undefined && peer === true && waiting.peer !== undefined) {
          message.reply(errorResponse(Status.ORIGIN_FAILURE, 'this proxy is filling the key from a peer'));
          out.next({ answered: { status: Status.ORIGIN_FAILURE, waits: [0] } });
        } else if (waiting !== undefined) {
          event('coalesced');
          waiting.waiters.push(message);
          waiting.arrivals.push(clock.now());
        } else if (fill !== undefined && peer !== true && peers.has(fill)) {
          fetch(key, [message], fill);
        } else {
          fetch(key, [message], undefined, validator);
        }
        gauges();
      };

      const onFetched = ({ key, outcome, fromPeer }: Fetched): void => {
        const { waiters, arrivals, store: storable, peer } = pending.get(key) ?? { waiters: [], arrivals: [], store: false };
        pending.delete(key);
        // A fill that fell back to the origin fetched from it after all.
        if (peer !== undefined) event(fromPeer === true ? 'peer_fill' : 'origin_fetch');
        let answer: Answer;
        let status: string = Status.OK;
        // What a peer's GET is told of the entry's freshness (ms), for an OK: a stale one is not to be stored.
        let freshMs: number | undefined;
        if (outcome.kind === 'ok') {
          // The origin's per-key ttl (or the owner's, filled from a peer), else ours. With either at
          // 0 the store keeps nothing, and the newer answer still replaces an older value kept for
          // grace or stale-if-error.
          freshMs = storable ? (outcome.ttl ?? ttl) : 0;
          if (storable && outcome.stale === undefined && outcome.validator === undefined) {
            store.set(key, okBytes(outcome.data, hitSuffix), freshMs);
          } else if (storable) {
            store.setRuled(key, okBytes(outcome.data, hitSuffix), freshMs, rulesOf(outcome.stale, outcome.validator));
          }
          answer = okEncoded(outcome.data, missSuffix);
        } else if (outcome.kind === 'not_modified') {
          event('not_modified');
          const kept = store.kept(key);
          if (kept === undefined || kept.negative) {
            // Purged or evicted while the origin was asked: only a full fetch brings the data now.
            if (waiters.length > 0) fetch(key, waiters);
            return;
          }
          freshMs = outcome.ttl;
          store.setRuled(key, kept.answer, freshMs, rulesOf(outcome.stale, outcome.validator));
          answer = asMiss(kept.answer);
        } else if (outcome.kind === 'answer') {
          if (storable && outcome.notFound && negativeTtl > 0) {
            store.set(key, bytesOf(outcome.answer), negativeTtl, true);
          } else if (storable) {
            // Nor may an older value kept for grace or stale-if-error outlive this answer.
            store.delete(key);
          }
          answer = outcome.answer;
          status = outcome.notFound ? Status.NOT_FOUND : statusOf(answer);
        } else {
          event('origin_error');
          const stale = staleAnswer(key);
          if (stale !== undefined) {
            for (let i = 0; i < waiters.length; i++) event('stale_served');
            freshMs = 0;
          }
          answer = stale ?? errorResponse(Status.ORIGIN_FAILURE, outcome.reason);
          if (stale === undefined) status = Status.ORIGIN_FAILURE;
        }
        for (const message of waiters) message.reply(freshMs === undefined ? answer : forPeer(message, answer, freshMs));
        if (waiters.length > 0) {
          const now = clock.now();
          out.next({ answered: { status, waits: arrivals.map((since) => now - since) } });
        }
        gauges();
      };

      const staleAnswer = (key: string): Buffer | undefined => {
        const kept = store.kept(key);
        if (kept === undefined || kept.negative) return undefined;
        const limit = kept.rules?.staleIfError ?? staleIfError;
        if (kept.staleMs > limit || (kept.rules !== undefined && limit === 0)) return undefined;
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

      const onPeer = (message: PeerMessage): void => {
        peers.add(message.request.address);
        message.reply(ok({ address: message.request.address, peers: [...peers] }));
      };

      return (input) => {
        if ('get' in input) onGet(input.get);
        else if ('fetched' in input) onFetched(input.fetched);
        else if ('purge' in input) onPurge(input.purge);
        else onPeer(input.peer);
      };
    });
}

/** An OK answer with `"ttl"` (seconds) as its last field when `message` is a peer's GET. */
function forPeer(message: GetMessage, answer: Answer, freshMs: number): Answer {
  return message.request.peer === true ? withTtl(answer, freshMs) : answer;
}

/** `"ttl":<seconds>` added to an encoded object, in whole ms; nothing for an entry that never expires. */
function withTtl(answer: Answer, freshMs: number): Answer {
  if (freshMs === Infinity) return answer;
  const field = `,"ttl":${Math.max(0, Math.floor(freshMs)) / 1000}}`;
  return typeof answer === 'string' ? answer.slice(0, -1) + field : Buffer.concat([answer.subarray(0, -1), Buffer.from(field)]);
}
