// round_robin: each request to the next proxy in list order, skipping those that may not take it.
import { fromChoice } from './strategy.js';

/**
 * The turn belongs to first attempts: each new request goes to the first candidate at or after
 * the turn, and moves the turn past it. A retry goes to the first untried candidate after the
 * proxy that failed it last, and leaves the turn where it is: were the turn moved, the proxy after
 * a failing one would get its own turn and the failing one's, and the one after it none
 * (300 requests, one of 3 proxies failing: 150 / 0 / 150 first attempts instead of 100 each).
 *
 * Weighted as HAProxy's `roundrobin` is by slow start's effective weight
 * (https://docs.haproxy.org/2.8/configuration.html#4.2-balance): a ramping proxy that has taken
 * more than its weighted share (load.ts) gives up its turn until it is owed again, so it gets
 * its share of the turns; if every candidate has, the turn goes as it would without weights.
 */
export const roundRobin = fromChoice(() => {
  // The position the next turn starts from: round robin's own, reported as its cursor.
  let next = 0;
  return {
    choose: (choices, view, request, load) => {
      const size = view.proxies.length;
      const tried = request.tried;
      const from = tried.length === 0 ? next : (tried[tried.length - 1]! + 1) % size;
      // The first candidate at or after `from` in list order, wrapping around; and the first of
      // those not over its share.
      let first = choices[0]!;
      let firstDistance = Infinity;
      let due: (typeof choices)[number] | undefined;
      let dueDistance = Infinity;
      for (const p of choices) {
        const distance = (p.id - from + size) % size;
        if (distance < firstDistance) {
          first = p;
          firstDistance = distance;
        }
        if (distance < dueDistance && load.owed(p) >= 0) {
          due = p;
          dueDistance = distance;
        }
      }
      const chosen = due ?? first;
      if (tried.length === 0) next = (chosen.id + 1) % size;
      return chosen;
    },
    cursor: () => next,
  };
});
