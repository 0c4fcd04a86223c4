// least_loaded: the proxy with the fewest requests in flight (per unit of weight) right now; ties go round robin.
import { fromChoice, weightedLoad } from './strategy.js';

export const leastLoaded = fromChoice(() => {
  // Ties are broken in turn, so least_loaded keeps a round robin position and reports it as its cursor.
  let next = 0;
  return {
    choose: (choices, view, _request, inFlight) => {
      const size = view.proxies.length;
      let best = choices[0]!;
      for (const p of choices) {
        const load = weightedLoad(p, inFlight);
        const bestLoad = weightedLoad(best, inFlight);
        const fewer = load < bestLoad;
        const tieCloser = load === bestLoad && (p.id - next + size) % size < (best.id - next + size) % size;
        if (fewer || tieCloser) best = p;
      }
      next = (best.id + 1) % size;
      return best;
    },
    cursor: () => next,
  };
});
