// The strategy contract: an operator from requests to routed requests, given the cluster view.
import { Observable, type OperatorFunction } from 'rxjs';
import { candidates, type ClusterView, type ProxyState } from '../view.js';
import type { RouteRequest, Routed } from '../messages.js';

export type Strategy = (view$: Observable<ClusterView>) => OperatorFunction<RouteRequest, Routed>;

/** One choice: among the candidates (never empty), which proxy, and the cursor to report. */
export type Choose = (choices: readonly ProxyState[], view: ClusterView) => { proxy: ProxyState; cursor: number };

/**
 * Builds a strategy from a choice function. `makeChoose` runs once per subscription, so each
 * balancer gets its own strategy state; the latest view is kept by one subscription, not per request.
 */
export function fromChoice(makeChoose: () => Choose): Strategy {
  return (view$) => (requests) =>
    new Observable<Routed>((out) => {
      const choose = makeChoose();
      let view: ClusterView = { proxies: [] };
      let cursor = 0;
      const viewing = view$.subscribe((v) => (view = v));
      const routing = requests.subscribe({
        next: (request) => {
          const choices = candidates(view, request.tried);
          if (choices.length === 0) {
            out.next({ ...request, proxy: undefined, cursor });
            return;
          }
          const choice = choose(choices, view);
          cursor = choice.cursor;
          out.next({ ...request, proxy: choice.proxy.id, cursor });
        },
        error: (err) => out.error(err),
        complete: () => out.complete(),
      });
      return () => {
        viewing.unsubscribe();
        routing.unsubscribe();
      };
    });
}
