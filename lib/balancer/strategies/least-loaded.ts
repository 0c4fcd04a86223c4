// least_loaded: the proxy with the fewest requests in flight right now; ties go round robin.
import { fromChoice } from './strategy.js';

export const leastLoaded = fromChoice(() => {
  let next = 0;
  return (choices, view) => {
    const size = view.proxies.length;
    let best = choices[0]!;
    for (const p of choices) {
      const fewer = p.inFlight < best.inFlight;
      const tieCloser = p.inFlight === best.inFlight && (p.id - next + size) % size < (best.id - next + size) % size;
      if (fewer || tieCloser) best = p;
    }
    next = (best.id + 1) % size;
    return { proxy: best, cursor: next };
  };
});
