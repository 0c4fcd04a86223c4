// The forwarder actor: sends each routed request to its proxy, relays the answer, and on failure
// sends the request back to the router with that proxy marked as tried (HAProxy's redispatch).
import { Observable } from 'rxjs';
import { errorResponse } from '../protocol/response.js';
import { Status } from '../protocol/status.js';
import type { LinkFailure } from '../net/upstream.js';
import type { Clock } from '../time/clock.js';
import type { Outcome, RouteRequest, Routed } from './messages.js';

/** One proxy as the forwarder sees it: a key in, the proxy's answer line or a failure out. */
export type ForwardPort = (proxy: number, key: string, done: (failure: LinkFailure | null, answer: string) => void) => void;

export type ForwarderOutput = { outcome: Outcome } | { retry: RouteRequest };

export function forwarder(port: ForwardPort) {
  return (routed: Observable<Routed>, _clock: Clock): Observable<ForwarderOutput> =>
    new Observable<ForwarderOutput>((out) =>
      routed.subscribe({
        next: (r) => {
          const { message, proxy, tried } = r;
          if (proxy === undefined) {
            message.reply(
              tried.length === 0
                ? errorResponse(Status.PROXY_ERROR, 'no proxy available')
                : errorResponse(Status.PROXY_UNREACHABLE, `no proxy answered after ${tried.length} attempt(s)`),
            );
            return;
          }
          out.next({ outcome: { kind: 'sent', proxy } });
          port(proxy, message.request.key, (failure, answer) => {
            if (failure === null) {
              out.next({ outcome: { kind: 'answered', proxy } });
              message.reply(answer);
              return;
            }
            out.next({ outcome: { kind: 'failed', proxy, failure } });
            out.next({ retry: { message, tried: [...tried, proxy] } });
          });
        },
        error: (err) => out.error(err),
        complete: () => out.complete(),
      }),
    );
}
