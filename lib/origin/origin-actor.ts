// The origin's actor: answers GET from a data source after the configured latency, and METRICS.
import { defer, from, ignoreElements, mergeMap, timer, map, of, type Observable } from 'rxjs';
import type { InboundOf } from '../bus/routes.js';
import { errorResponse, notFound, ok, okEncoded } from '../protocol/response.js';
import { Status } from '../protocol/status.js';
import { Counters } from '../metrics/counters.js';
import { isoTime, type Clock } from '../time/clock.js';
import type { Lookup } from './data-dir.js';

/** Looks a key up in the origin's data: the data folder in a process, anything in a spec. */
export type Source = (key: string) => Promise<Lookup>;

/** What the origin actor serves: GET, and METRICS from the counters it keeps. */
export type OriginMessage = InboundOf<'GET' | 'METRICS'>;

export interface OriginActorOptions {
  source: Source;
  /** Milliseconds added before each GET answer, to play a slow origin. */
  latency: number;
}

const NAMES = ['requests', 'found', 'not_found', 'bad_key'] as const;

/**
 * METRICS here reports the origin's own counters, so a test can see how many fetches reached it.
 * Its state is made per subscription by `defer` rather than `operate`: it is a pipeline, and
 * `mergeMap` lets the output complete only once every GET already waiting has been answered.
 */
export function originActor(options: OriginActorOptions) {
  return (inbox: Observable<OriginMessage>, clock: Clock): Observable<never> =>
    defer(() => {
      const startTime = isoTime(clock);
      const counters = new Counters(NAMES);
      const answer = (lookup: Lookup): string => {
        counters.inc(lookup.kind === 'ok' ? 'found' : lookup.kind);
        if (lookup.kind === 'ok') return okEncoded(lookup.data, lookup.ttl === undefined ? '' : `,"ttl":${lookup.ttl}`);
        if (lookup.kind === 'not_found') return notFound('no such key');
        return errorResponse(Status.BAD_REQUEST, lookup.reason);
      };
      const wait = options.latency > 0 ? timer(options.latency, clock) : of(0);
      return inbox.pipe(
        mergeMap((message) => {
          const request = message.request;
          if (request.op === 'METRICS') {
            message.reply(ok({ start_time: startTime, total_requests: counters.get('requests'), ...counters.snapshot() }));
            return [];
          }
          counters.inc('requests');
          return wait.pipe(
            mergeMap(() => from(options.source(request.key))),
            map((lookup) => message.reply(answer(lookup))),
          );
        }),
        ignoreElements(),
      );
    });
}
