// Strategies by name: `--strategy X` is a lookup here, and a new strategy is one file plus one line.
import type { Strategy } from './strategy.js';
import { roundRobin } from './round-robin.js';
import { leastLoaded } from './least-loaded.js';
import { consistentHash } from './consistent-hash.js';
import { p2c } from './p2c.js';

export const strategies: Readonly<Record<string, Strategy>> = {
  consistent_hash: consistentHash,
  p2c,
  round_robin: roundRobin,
  least_loaded: leastLoaded,
};

/** Routes by key, so each key is cached on one proxy and fetched from the origin once. */
export const DEFAULT_STRATEGY = 'consistent_hash';

export function strategyNamed(name: string): Strategy {
  // Own names only: `constructor` or `toString` must not pass for a strategy.
  const strategy = Object.hasOwn(strategies, name) ? strategies[name] : undefined;
  if (strategy === undefined) {
    throw new Error(`unknown strategy "${name}"; known: ${Object.keys(strategies).join(', ')}`);
  }
  return strategy;
}
