// consistent_hash: rendezvous (highest random weight) hashing of the key; only a hot key spills, under bounded loads.
import { hashKey, unit } from './hash.js';
import { fromChoice, type Choose, type Chooser } from './strategy.js';
import type { Outcome } from '../messages.js';
import type { ProxyState } from '../view.js';
import type { Load } from './load.js';

/** One key's requests at this balancer. */
interface KeyLoad {
  /** Routed and not yet answered or failed, wherever they went. */
  inFlight: number;
  /**
   * Where the first of these requests went, until that proxy answers the key or fails it: the
   * proxy is probably fetching the key from the origin meanwhile.
   */
  fetching: number | undefined;
}

/**
 * Every key ranks the proxies by a score hashed from the key and the proxy's address; the best
 * ranked is the key's owner. Rendezvous over a ring: with tens of proxies a scan is as fast as a
 * ring lookup, needs no virtual nodes for balance, moves exactly the removed proxy's keys, and
 * takes slow-start weights as `-weight / ln(u)` (weighted rendezvous). Addresses, not positions,
 * are hashed, so two balancers with the same proxies route a key alike.
 *
 * A key leaves its owner only when it is hot: at least `hashHotThreshold` of its requests are in
 * flight at this balancer and the owner is over its bound, `hashBalanceFactor` percent of the mean
 * in-flight load (Mirrokni, Thorup, Zadimoghaddam, "Consistent Hashing with Bounded Loads"). Then
 * it goes to the best-ranked proxy within the bound, and the routing names the owner as `fill`, so
 * that proxy fills the key from the owner rather than from the origin (groupcache's peers). Load
 * that merely varies never moves a key: a proxy holds the keys it owns, and a miss moved elsewhere
 * is a second origin fetch and an entry cached twice.
 *
 * Until the proxy a key's requests first went to (its owner, or the proxy it had before the
 * ranking changed) has answered the key, every request for it joins them there, hot or not: that
 * proxy is likely fetching the key, and coalesces them all into its one origin fetch, where a spill
 * would only wait on the same fetch through a peer, or make another.
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
  const keys = new Map<string, KeyLoad>();
  const settle = (o: Outcome): void => {
    if (o.kind === 'sent' || o.key === undefined) return;
    const k = keys.get(o.key);
    if (k === undefined) return;
    if (k.fetching === o.proxy) k.fetching = undefined;
    if (--k.inFlight <= 0) keys.delete(o.key);
  };
  // The owner the last choice spilled its key off, read by `fill` right after the choice.
  let spilledOff: number | undefined;

  const choose: Choose = (choices, _view, request, load) => {
    spilledOff = undefined;
    const key = request.message.request.key;
    const k = keys.get(key);
    if (k === undefined) {
      // The first request for a key with none in flight: where it goes, the key is being fetched.
      const first = place(choices, key, context.hashHotThreshold === 0, load);
      keys.set(key, { inFlight: 1, fetching: first.id });
      return first;
    }
    const hot = k.inFlight >= context.hashHotThreshold;
    k.inFlight++;
    if (k.fetching !== undefined) {
      for (const p of choices) if (p.id === k.fetching) return p;
    }
    return place(choices, key, hot, load);
  };

  /** Where a request that joins no fetch goes: the owner, or for a hot key over the bound, the best-ranked proxy with room. */
  const place = (choices: readonly ProxyState[], key: string, hot: boolean, load: Load): ProxyState => {
    const keyHash = hashKey(key);
    const proxyHashes = hashesOf(choices);
    let owner = choices[0]!;
    let ownerScore = -Infinity;
    for (let i = 0; i < choices.length; i++) {
      const score = -choices[i]!.weight / Math.log(unit(keyHash, proxyHashes[i]!));
      if (score > ownerScore) {
        owner = choices[i]!;
        ownerScore = score;
      }
    }
    if (!hot) return owner;
    let total = 0;
    let weights = 0;
    for (const p of choices) {
      total += load.inFlight(p.id);
      weights += p.weight;
    }
    // Each proxy's share of the load, counting the request being placed, times the factor;
    // rounded up so an idle cluster always has room (capacity is at least one).
    const share = ((context.hashBalanceFactor / 100) * (total + 1)) / weights;
    const fits = (p: ProxyState): boolean => load.inFlight(p.id) + 1 <= Math.ceil(share * p.weight);
    if (fits(owner)) return owner;
    // The best-ranked proxy with room, if any.
    let roomy: ProxyState | undefined;
    let roomyScore = -Infinity;
    for (let i = 0; i < choices.length; i++) {
      const p = choices[i]!;
      const score = -p.weight / Math.log(unit(keyHash, proxyHashes[i]!));
      if (score > roomyScore && fits(p)) {
        roomy = p;
        roomyScore = score;
      }
    }
    if (roomy === undefined) return owner;
    spilledOff = owner.id;
    return roomy;
  };
  return { choose, outcome: settle, fill: () => spilledOff };
});

