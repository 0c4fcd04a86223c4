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
  // The address hashes of the last candidate list scored: every first attempt shares one list per
  // view, so a request looks up no hash.
  let hashed: readonly ProxyState[] | undefined;
  let hashes: number[] = [];
  const hashesOf = (choices: readonly ProxyState[]): number[] => {
    if (choices !== hashed) {
      hashed = choices;
      hashes = choices.map(addressHash);
    }
    return hashes;
  };
  // Keys sent to a proxy that has not answered them yet, and where. Such a key is probably being
  // fetched there, so its next requests join it (the proxy coalesces them into one origin fetch)
  // instead of spilling to a proxy that would fetch it again.
  const unanswered = new Map<string, number>();
  const settle = (o: Outcome): void => {
    if (o.kind === 'sent' || o.key === undefined) return;
    if (unanswered.get(o.key) === o.proxy) unanswered.delete(o.key);
  };
  const choose: Choose = (choices, _view, request, load) => {
    const key = request.message.request.key;
    const pending = unanswered.get(key);
    if (pending !== undefined) {
      for (const p of choices) if (p.id === pending) return p;
    }
    let total = 0;
    let weights = 0;
    for (const p of choices) {
      total += load.inFlight(p.id);
      weights += p.weight;
    }
    // Each proxy's share of the load, counting the request being placed, times the factor;
    // rounded up so an idle cluster always has room (capacity is at least one).
    const share = ((context.hashBalanceFactor / 100) * (total + 1)) / weights;
    // The best-ranked proxy with room, else the best-ranked of all: one pass, nothing allocated.
    const keyHash = hashKey(key);
    const proxyHashes = hashesOf(choices);
    let best = choices[0]!;
    let bestScore = -Infinity;
    let roomy: ProxyState | undefined;
    let roomyScore = -Infinity;
    for (let i = 0; i < choices.length; i++) {
      const p = choices[i]!;
      const score = -p.weight / Math.log(unit(keyHash, proxyHashes[i]!));
      if (score > bestScore) {
        best = p;
        bestScore = score;
      }
      if (score > roomyScore && load.inFlight(p.id) + 1 <= Math.ceil(share * p.weight)) {
        roomy = p;
        roomyScore = score;
      }
    }
    const within = roomy ?? best;
    unanswered.set(key, within.id);
    return within;
  };
  return { choose, outcome: settle };
});
