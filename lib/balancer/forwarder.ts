// The forwarder actor: sends each routed request to its proxy, relays the answer, and on a failure
// that blames the proxy sends the request back to the router with that proxy marked as tried
// (HAProxy's redispatch), within a retry count and a retry budget.
import type { Observable } from 'rxjs';
import { operate } from '../bus/actor.js';
import { errorResponse, type Answer } from '../protocol/response.js';
import { Status } from '../protocol/status.js';
import { statusOf } from '../protocol/status-of.js';
import type { LinkFailure } from '../net/upstream.js';
import type { Clock } from '../time/clock.js';
import type { GetMessage, Outcome, RouteRequest, Routed } from './messages.js';
import { DEFAULT_RETRY_BUDGET, RetryBudget, type RetryBudgetOptions } from '../net/retry-budget.js';
import { mayRedispatch } from './health/blame.js';
import type { ClusterView } from './view.js';

/**
 * One proxy as the forwarder sees it: a key in, the proxy's answer line or a failure out. `fill`:
 * the proxy a spilled key was spilled off (Routed.fill), named to the proxy in the request.
 */
export type ForwardPort = (proxy: number, key: string, done: (failure: LinkFailure | null, answer: Buffer) => void, fill?: number) => void;

export type ForwarderOutput =
  | { outcome: Outcome }
  | { retry: RouteRequest }
  /**
   * A client was answered with an error of ours, `status` (no proxy, none answered, the proxy
   * answered too late), after `latency` ms on the clock. A proxy's answer is reported by its
   * `answered` outcome, which carries its latency and status.
   */
  | { error: { latency: number; status: Status } }
  | { budget: { used: number; allowed: number; exhausted: boolean } };

export interface ForwarderOptions {
  /** Retries after the first attempt, each on a proxy not yet tried. */
  retries?: number;
  budget?: RetryBudgetOptions;
  /**
   * The cluster view, to tell a proxy that hangs (down or ejected) from one that is slow: a
   * request that timed out is retried only at the first. Without it no proxy is known out.
   */
  view$?: Observable<ClusterView>;
  /** Milliseconds the link waits for a proxy's answer (`--request-timeout`), for PROXY_TIMEOUT's error. */
  requestTimeout?: number;
}

/**
 * Forwards each routed request and relays the proxy's answer, whatever its status. A failure is
 * reported as a `failed` outcome; whether it is retried is blame.ts's `mayRedispatch`: a failure
 * of the proxy's (refused, connect timeout, reset, garbage) is retried on another proxy, up to
 * `retries` times and within the retry budget, else answered PROXY_UNREACHABLE; a request that
 * timed out at a proxy still in service is answered PROXY_TIMEOUT after that one attempt.
 */
export function forwarder(port: ForwardPort, options: ForwarderOptions = {}) {
  const retries = options.retries ?? 2;
  const timedOut = errorResponse(
    Status.PROXY_TIMEOUT,
    options.requestTimeout === undefined
      ? 'the proxy did not answer in time'
      : `the proxy did not answer within ${options.requestTimeout} ms (--request-timeout)`,
  );
  return (routed: Observable<Routed>, clock: Clock): Observable<ForwarderOutput> =>
    operate<Routed, ForwarderOutput>(routed, (out) => {
      const budget = new RetryBudget(clock, options.budget ?? DEFAULT_RETRY_BUDGET);
      // Proxies out of service (down or ejected) by the latest view: where a timeout means a hang.
      let outOfService: readonly boolean[] = [];
      const viewing = options.view$?.subscribe((view) => (outOfService = view.proxies.map((p) => !p.healthy || p.ejected)));
      // One `sent` message per proxy, made once: every request sends one.
      const sent: ForwarderOutput[] = [];
      const sentTo = (proxy: number): ForwarderOutput => (sent[proxy] ??= Object.freeze({ outcome: Object.freeze({ kind: 'sent', proxy } as const) }));
      // When a request being retried was first routed, for its latency. A first attempt keeps
      // its start in the callback it sends; only a request that failed somewhere waits here.
      const retrying = new Map<GetMessage, number>();
      const fail = (message: GetMessage, response: Answer, start: number, status: Status): void => {
        message.reply(response);
        out.next({ error: { latency: clock.now() - start, status } });
      };
      const unreachable = (message: GetMessage, attempts: number, why: string, start: number): void =>
        fail(message, errorResponse(Status.PROXY_UNREACHABLE, `no proxy answered after ${attempts} attempt(s)${why}`), start, Status.PROXY_UNREACHABLE);

      const onRouted = (r: Routed): void => {
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
          if (tried.length === 0) fail(message, errorResponse(Status.PROXY_ERROR, 'no proxy available'), start, Status.PROXY_ERROR);
          else unreachable(message, tried.length, '', start);
          return;
        }
        out.next(sentTo(proxy));
        port(proxy, message.request.key, (failure, response) => {
          if (failure === null) {
            // One message says it all: the proxy answered (health, load) and how long the client waited (metrics).
            out.next({ outcome: { kind: 'answered', proxy, key: message.request.key, latency: clock.now() - start, status: statusOf(response) } });
            message.reply(response);
            return;
          }
          out.next({ outcome: { kind: 'failed', proxy, failure, key: message.request.key } });
          // Only a request timeout is ever kept from a retry (blame.ts).
          if (!mayRedispatch(failure, outOfService[proxy] === true)) return fail(message, timedOut, start, Status.PROXY_TIMEOUT);
          const attempts = tried.length + 1;
          if (attempts > retries) return unreachable(message, attempts, '', start);
          const allowed = budget.tryRetry();
          out.next({ budget: { ...budget.usage(), exhausted: !allowed } });
          if (!allowed) return unreachable(message, attempts, ' (retry budget exhausted)', start);
          retrying.set(message, start);
          out.next({ retry: { message, tried: [...tried, proxy] } });
        }, r.fill);
      };
      return { next: onRouted, finalize: viewing };
    });
}
