// least_loaded: the proxy with the fewest requests in flight (per unit of weight) right now; ties go round robin.
import { fromChoice } from './strategy.js';

/**
 * The candidate with the least in-flight load per unit of weight, counting a ramping proxy's
 * share (load.ts) so slow start holds when requests do not overlap; ties go to the first at or
 * after the turn, in list order. Only a first attempt moves the turn: a retry is the same request
 * again, and moving the turn for it would skew the rotation toward the proxies after a failing one.
 */
export const leastLoaded = fromChoice(() => {
  // Ties are broken in turn, so least_loaded keeps a round robin position and reports it as its cursor.
  let next = 0;
  return {
    choose: (choices, view, request, load) => {
      const size = view.proxies.length;
      let best = choices[0]!;
      let bestLoad = load.weighted(best);
      for (const p of choices) {
        const pLoad = load.weighted(p);
        const fewer = pLoad < bestLoad;
        const tieCloser = pLoad === bestLoad && (p.id - next + size) % size < (best.id - next + size) % size;
        if (fewer || tieCloser) {
          best = p;
          bestLoad = pLoad;
        }
      }
      if (request.tried.length === 0) next = (best.id + 1) % size;
      return best;
    },
    cursor: () => next,
  };
});
