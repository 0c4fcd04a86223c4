// p2c: the power of two random choices on in-flight load (Envoy's LEAST_REQUEST).
import { fromChoice, weightedLoad } from './strategy.js';

/**
 * Two distinct candidates drawn at random; the one with less in-flight load per unit of weight
 * wins. Nearly as good as scanning for the least loaded, and without the herd that a scan sends
 * to the one idle proxy when several balancers share a stale view.
 */
export const p2c = fromChoice(({ random }) => (choices, _view, _request, inFlight) => {
  const first = Math.floor(random() * choices.length);
  if (choices.length === 1) return choices[0]!;
  const second = (first + 1 + Math.floor(random() * (choices.length - 1))) % choices.length;
  const a = choices[first]!;
  const b = choices[second]!;
  return weightedLoad(b, inFlight) < weightedLoad(a, inFlight) ? b : a;
});
