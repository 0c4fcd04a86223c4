// consistent_hash: rendezvous (highest random weight) hashing of the key, with bounded loads.
import { hashKey, unit } from './hash.js';
import { fromChoice, type Choose, type Chooser } from './strategy.js';
import type { Outcome } from '../messages.js';
import type { ProxyState } from '../view.js';

/**
 * Every key ranks the proxies by a score hashed from the key and the proxy's address; the key goes
 * to the best-ranked proxy whose load stays within the bound (Mirrokni, Thorup, Zadimoghaddam,
 * "Consistent Hashing with Bounded Loads"): a hot key spills to its next-ranked proxy rather
 * than drowning its own. Rendezvous over a ring: with tens of proxies a scan is as fast as a
 * ring lookup, needs no virtual nodes for balance, moves exactly the removed proxy's keys, and
 * takes slow-start weights as `-weight / ln(u)` (weighted rendezvous). Addresses, not positions,
 * are hashed, so two balancers with the same proxies route a key alike.
 */
export const consistentHash = fromChoice((context): Chooser => {
  const addressHashes = new Map<string, number>();
  const addressHash = (p: ProxyState): number => {
    let h = addressHashes.get(p.address);
    if (h === undefined) addressHashes.set(p.address, (h = hashKey(p.address)));
    return h;
  };
  // Keys sent to a proxy that has not answered them yet, and where. Such a key is probably being
  // fetched there, so its next requests join it (the proxy coalesces them into one origin fetch)
  // instead of spilling to a proxy that would fetch it again.
  const unanswered = new Map<string, number>();
  const settle = (o: Outcome): void => {
    if (o.kind === 'sent' || o.key === undefined) return;
    if (unanswered.get(o.key) === o.proxy) unanswered.delete(o.key);
  };
  const choose: Choose = (choices, _view, request) => {
    const key = request.message.request.key;
    const pending = unanswered.get(key);
    const joined = pending === undefined ? undefined : choices.find((p) => p.id === pending);
    if (joined !== undefined) return { proxy: joined, cursor: joined.id };
    const keyHash = hashKey(key);
    const ranked = choices
      .map((p) => ({ p, score: -p.weight / Math.log(unit(keyHash, addressHash(p))) }))
      .sort((a, b) => b.score - a.score);
    let total = 0;
    let weights = 0;
    for (const c of choices) {
      total += c.inFlight;
      weights += c.weight;
    }
    // Each proxy's share of the load, counting the request being placed, times the factor;
    // rounded up so an idle cluster always has room (capacity is at least one).
    const share = ((context.hashBalanceFactor / 100) * (total + 1)) / weights;
    const fits = (p: ProxyState): boolean => p.inFlight + 1 <= Math.ceil(share * p.weight);
    const within = ranked.find(({ p }) => fits(p)) ?? ranked[0]!;
    unanswered.set(key, within.p.id);
    return { proxy: within.p, cursor: within.p.id };
  };
  return { choose, outcome: settle };
});
