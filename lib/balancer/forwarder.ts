// The forwarder actor: sends each routed request to its proxy, relays the answer, and on failure
// sends the request back to the router with that proxy marked as tried (HAProxy's redispatch),
// within a retry count and a retry budget.
import { Observable } from 'rxjs';
import { errorResponse, type Answer } from '../protocol/response.js';
import { Status } from '../protocol/status.js';
import type { LinkFailure } from '../net/upstream.js';
import type { Clock } from '../time/clock.js';
import type { GetMessage, Outcome, RouteRequest, Routed } from './messages.js';
import { DEFAULT_RETRY_BUDGET, RetryBudget, type RetryBudgetOptions } from './retry-budget.js';

/** One proxy as the forwarder sees it: a key in, the proxy's answer line or a failure out. */
export type ForwardPort = (proxy: number, key: string, done: (failure: LinkFailure | null, answer: Buffer) => void) => void;

export type ForwarderOutput =
  | { outcome: Outcome }
  | { retry: RouteRequest }
  /** A client was answered: how long it took on the clock, and whether that answer was an error of ours. */
  | { answered: { latency: number; failed: boolean } }
  | { budget: { used: number; allowed: number; exhausted: boolean } };

export interface ForwarderOptions {
  /** Retries after the first attempt, each on a proxy not yet tried. */
  retries?: number;
  budget?: RetryBudgetOptions;
}

export function forwarder(port: ForwardPort, options: ForwarderOptions = {}) {
  const retries = options.retries ?? 2;
  return (routed: Observable<Routed>, clock: Clock): Observable<ForwarderOutput> =>
    new Observable<ForwarderOutput>((out) => {
      const budget = new RetryBudget(clock, options.budget ?? DEFAULT_RETRY_BUDGET);
      // One `sent` message per proxy, made once: every request sends one.
      const sent: ForwarderOutput[] = [];
      const sentTo = (proxy: number): ForwarderOutput => (sent[proxy] ??= Object.freeze({ outcome: Object.freeze({ kind: 'sent', proxy } as const) }));
      // When a request being retried was first routed, for its latency. A first attempt keeps
      // its start in the callback it sends; only a request that failed somewhere waits here.
      const retrying = new Map<GetMessage, number>();
      const answer = (message: GetMessage, response: Answer, failed: boolean, start: number): void => {
        message.reply(response);
        out.next(answeredNote(clock.now() - start, failed));
      };
      const unreachable = (message: GetMessage, attempts: number, why: string, start: number): void =>
        answer(message, errorResponse(Status.PROXY_UNREACHABLE, `no proxy answered after ${attempts} attempt(s)${why}`), true, start);

      return routed.subscribe({
        next: (r) => {
          const { message, proxy, tried } = r;
          let start: number;
          if (tried.length === 0) {
            start = clock.now();
            budget.request(start);
          } else {
            start = retrying.get(message) ?? clock.now();
            retrying.delete(message);
          }
          if (proxy === undefined) {
            if (tried.length === 0) answer(message, errorResponse(Status.PROXY_ERROR, 'no proxy available'), true, start);
            else unreachable(message, tried.length, '', start);
            return;
          }
          out.next(sentTo(proxy));
          port(proxy, message.request.key, (failure, response) => {
            if (failure === null) {
              out.next({ outcome: { kind: 'answered', proxy, key: message.request.key } });
              answer(message, response, false, start);
              return;
            }
            out.next({ outcome: { kind: 'failed', proxy, failure, key: message.request.key } });
            const attempts = tried.length + 1;
            if (attempts > retries) return unreachable(message, attempts, '', start);
            const allowed = budget.tryRetry();
            out.next({ budget: { ...budget.usage(), exhausted: !allowed } });
            if (!allowed) return unreachable(message, attempts, ' (retry budget exhausted)', start);
            retrying.set(message, start);
            out.next({ retry: { message, tried: [...tried, proxy] } });
          });
        },
        error: (err) => out.error(err),
        complete: () => out.complete(),
      });
    });
}

// Notes of answers that took under a second on the clock, made once: nearly every answer's is one.
const NOTES: ForwarderOutput[][] = [[], []];

function answeredNote(latency: number, failed: boolean): ForwarderOutput {
  if (!Number.isInteger(latency) || latency < 0 || latency >= 1000) return { answered: { latency, failed } };
  const made = NOTES[failed ? 1 : 0]!;
  return (made[latency] ??= Object.freeze({ answered: Object.freeze({ latency, failed }) }));
}
