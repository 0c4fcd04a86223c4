// p2c: the power of two random choices on in-flight load (Envoy's LEAST_REQUEST).
import { fromChoice } from './strategy.js';

/**
 * Two distinct candidates drawn at random; the one with less in-flight load per unit of weight
 * wins. Nearly as good as scanning for the least loaded, and without the herd that a scan sends
 * to the one idle proxy when several balancers share a stale view. The load counts a ramping
 * proxy's share (load.ts), so slow start holds when nothing overlaps: an idle ramping proxy that
 * has had its share counts as busy. On equal load the one owed more of its share wins (without a
 * turn to wait for, an owed proxy would otherwise wait to be drawn first), then the first drawn.
 */
export const p2c = fromChoice(({ random }) => (choices, _view, _request, load) => {
  const first = Math.floor(random() * choices.length);
  if (choices.length === 1) return choices[0]!;
  const second = (first + 1 + Math.floor(random() * (choices.length - 1))) % choices.length;
  const a = choices[first]!;
  const b = choices[second]!;
  const aLoad = load.weighted(a);
  const bLoad = load.weighted(b);
  return bLoad < aLoad || (bLoad === aLoad && load.owed(b) > load.owed(a)) ? b : a;
});
