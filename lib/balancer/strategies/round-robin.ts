// round_robin: each request to the next proxy in list order, skipping those that may not take it.
import { fromChoice } from './strategy.js';

export const roundRobin = fromChoice(() => {
  // The position the next turn starts from: round robin's own, reported as its cursor.
  let next = 0;
  return {
    choose: (choices, view) => {
      const size = view.proxies.length;
      // The first candidate at or after `next` in list order, wrapping around.
      let best = choices[0]!;
      let bestDistance = Infinity;
      for (const p of choices) {
        const distance = (p.id - next + size) % size;
        if (distance < bestDistance) {
          best = p;
          bestDistance = distance;
        }
      }
      next = (best.id + 1) % size;
      return best;
    },
    cursor: () => next,
  };
});
