// The proxy's cache actor: answers hits, coalesces misses into one fetch per key, stores what comes back.
import { Observable } from 'rxjs';
import type { Inbound } from '../bus/inbound.js';
import type { Request } from '../protocol/request.js';
import { errorResponse, okEncoded, type Encoded } from '../protocol/response.js';
import { Status } from '../protocol/status.js';
import { CacheStore, type StoreOptions } from '../cache/store.js';
import type { Clock } from '../time/clock.js';
import type { CacheEvent, Fetched, FetchOrder } from './messages.js';

export type GetMessage = Inbound<Extract<Request, { op: 'GET' }>>;
export type CacheInput = { get: GetMessage } | { fetched: Fetched };
export type CacheOutput = { fetch: FetchOrder } | { event: CacheEvent };

export interface CacheActorOptions extends Omit<StoreOptions, 'clock'> {
  /** The proxy's port, reported as `node` in every answer (as the original does). */
  node: number;
}

/**
 * Concurrent misses for one key wait on one fetch (Varnish's waiting list), so the origin sees
 * one request per key however many clients ask at once. Failures and NOT_FOUND are not stored.
 */
export function cacheActor(options: CacheActorOptions) {
  const hitSuffix = `,"cache_hit":true,"node":${options.node}`;
  const missSuffix = `,"cache_hit":false,"node":${options.node}`;
  return (inbox: Observable<CacheInput>, clock: Clock): Observable<CacheOutput> =>
    new Observable<CacheOutput>((out) => {
      const store = new CacheStore({ ...options, clock });
      const waiting = new Map<string, GetMessage[]>();

      const onGet = (message: GetMessage): void => {
        const key = message.request.key;
        const data = store.get(key);
        if (data !== undefined) {
          out.next({ event: 'hit' });
          message.reply(okEncoded(data, hitSuffix));
          return;
        }
        out.next({ event: 'miss' });
        const queue = waiting.get(key);
        if (queue !== undefined) {
          out.next({ event: 'coalesced' });
          queue.push(message);
          return;
        }
        waiting.set(key, [message]);
        out.next({ event: 'origin_fetch' });
        out.next({ fetch: { key } });
      };

      const onFetched = ({ key, outcome }: Fetched): void => {
        const queue = waiting.get(key) ?? [];
        waiting.delete(key);
        let answer: Encoded;
        if (outcome.kind === 'ok') {
          store.set(key, outcome.data);
          answer = okEncoded(outcome.data, missSuffix);
        } else if (outcome.kind === 'answer') {
          answer = outcome.answer;
        } else {
          out.next({ event: 'origin_error' });
          answer = errorResponse(Status.ORIGIN_FAILURE, outcome.reason);
        }
        for (const message of queue) message.reply(answer);
      };

      return inbox.subscribe({
        next: (input) => ('get' in input ? onGet(input.get) : onFetched(input.fetched)),
        error: (err) => out.error(err),
        complete: () => out.complete(),
      });
    });
}

export type { Encoded };
