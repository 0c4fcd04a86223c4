// The strategy contract: an operator from requests to routed requests, given the cluster view.
import { EMPTY, type Observable, type OperatorFunction } from 'rxjs';
import { operate } from '../../bus/actor.js';
import { realClock, type Clock } from '../../time/clock.js';
import { candidates, type ClusterView, type ProxyState } from '../view.js';
import type { Outcome, RouteRequest, Routed } from '../messages.js';
import { Load } from './load.js';

/** What a strategy may read besides the view: all injected, so a marble spec fixes every input. */
export interface StrategyContext {
  readonly clock: Clock;
  /** Uniform [0, 1). */
  readonly random: () => number;
  /** Bounded loads: no proxy takes more than this percent of the mean in-flight load (HAProxy's hash-balance-factor). */
  readonly hashBalanceFactor: number;
  /**
   * consistent_hash: a key may spill off its owner only while at least this many of its requests
   * are in flight at the balancer (0: any key may, plain bounded loads).
   */
  readonly hashHotThreshold: number;
  /** What became of forwarded requests: the live load, and where a key went. */
  readonly outcomes: Observable<Outcome>;
}

/**
 * 16 hot: one client's pipeline of 16 on one key never moves it (only a 17th request in flight
 * does), while a key among thousands is almost never asked 16 times at once by chance.
 */
export const DEFAULT_HOT_THRESHOLD = 16;

export const defaultContext: StrategyContext = {
  clock: realClock,
  random: Math.random,
  hashBalanceFactor: 125,
  hashHotThreshold: DEFAULT_HOT_THRESHOLD,
  outcomes: EMPTY,
};

export type Strategy = (view$: Observable<ClusterView>, context?: Partial<StrategyContext>) => OperatorFunction<RouteRequest, Routed>;

/**
 * One choice: among the candidates (never empty), the proxy the request goes to. `request.tried`
 * is empty for a first attempt, and names the proxies that failed it for a retry.
 */
export type Choose = (choices: readonly ProxyState[], view: ClusterView, request: RouteRequest, load: Load) => ProxyState;

/** A choice function and what else a strategy keeps, each part its own state. */
export interface Chooser {
  choose: Choose;
  /** Hears what became of forwarded requests, beyond the load every strategy is given. */
  outcome?(outcome: Outcome): void;
  /**
   * Where a strategy that takes the proxies in turn stands after its last choice: the position
   * its next turn starts from (the original balancer's `current_index`). A strategy without a
   * turn has none, and its routings carry no cursor.
   */
  cursor?(): number;
  /**
   * The proxy the last choice spilled its key off (the key's owner), which the chosen proxy may
   * fill the key from; undefined when it did not spill.
   */
  fill?(): number | undefined;
}

/**
 * Builds a strategy from a choice function. `makeChoose` runs once per subscription, so each
 * balancer gets its own strategy state; the latest view is kept by one subscription, not per
 * request, and so are the candidates of a first attempt. The load comes from the outcomes, and
 * every choice is booked in it (slow start's shares, load.ts).
 */
export function fromChoice(makeChoose: (context: StrategyContext) => Choose | Chooser): Strategy {
  return (view$, context) => (requests) =>
    operate<RouteRequest, Routed>(requests, (out) => {
      const full = { ...defaultContext, ...context };
      const made = makeChoose(full);
      const chooser: Chooser = typeof made === 'function' ? { choose: made } : made;
      const cursor = chooser.cursor?.bind(chooser);
      const fill = chooser.fill?.bind(chooser);
      let view: ClusterView = { proxies: [] };
      let firstChoices: ProxyState[] = [];
      const load = new Load();
      const viewing = view$.subscribe((v) => {
        view = v;
        firstChoices = candidates(v, []);
        load.view(v);
      });
      // Its own subscription: a view stream that completes must not stop the counting.
      const hearing = full.outcomes.subscribe((o) => {
        load.count(o);
        chooser.outcome?.(o);
      });
      // Spelled out, not spread: this runs for every request.
      const routed =
        cursor === undefined
          ? (request: RouteRequest, proxy: number | undefined): Routed => ({ message: request.message, tried: request.tried, proxy })
          : (request: RouteRequest, proxy: number | undefined): Routed => ({ message: request.message, tried: request.tried, proxy, cursor: cursor() });
      return {
        next: (request) => {
          const choices = request.tried.length === 0 ? firstChoices : candidates(view, request.tried);
          if (choices.length === 0) return out.next(routed(request, undefined));
          const chosen = chooser.choose(choices, view, request, load);
          load.chose(choices, chosen);
          const owner = fill?.();
          out.next(owner === undefined ? routed(request, chosen.id) : { ...routed(request, chosen.id), fill: owner });
        },
        finalize: () => {
          viewing.unsubscribe();
          hearing.unsubscribe();
        },
      };
    });
}
