// The proxy's fetcher actor: turns fetch orders into origin answers through an injected origin port.
import { mergeMap, map, type Observable } from 'rxjs';
import type { Clock } from '../time/clock.js';
import type { FetchOrder, Fetched, FetchOutcome } from './messages.js';

/** The origin as the fetcher sees it: a key in, one outcome out. The TCP link implements it. */
export type OriginPort = (key: string) => Observable<FetchOutcome>;

export function fetcher(origin: OriginPort) {
  return (orders: Observable<FetchOrder>, _clock: Clock): Observable<Fetched> =>
    orders.pipe(mergeMap(({ key }) => origin(key).pipe(map((outcome) => ({ key, outcome })))));
}
